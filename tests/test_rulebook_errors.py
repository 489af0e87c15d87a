"""A malformed rulebook stops with one clear message naming the file, the rule and the problem."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flake8_fastapi_prod.errors import RulebookError
from flake8_fastapi_prod.plugin import _load_or_exit
from flake8_fastapi_prod.rulebook import load_rulebooks

GOOD_RULE = """
  - code: FAP901
    name: no-print
    message: print() in application code
    rule:
      pattern: print($$$)
"""

BROKEN = {
    "yaml_syntax": ("rules:\n  - code: FAP901\n    message: [unclosed\n", r":4: invalid YAML"),
    "unknown_key": (GOOD_RULE.replace("message:", "mesage: x\n    message:"), r":4: FAP901: unknown key 'mesage' in a rule; did you mean 'message'?"),
    "unknown_rule_key": (GOOD_RULE.replace("pattern:", "patern:"), r":6: FAP901: unknown key 'patern' in a rule; did you mean 'pattern'?"),
    "missing_message": (GOOD_RULE.replace("    message: print() in application code\n", ""), r":2: FAP901: missing required key 'message'"),
    "bad_code": (GOOD_RULE.replace("FAP901", "X1"), r":2: X1: code 'X1' must be FAP followed by three digits"),
    "duplicate_code": (GOOD_RULE + GOOD_RULE.replace("no-print", "no-print-again"), r":8: FAP901: duplicate code FAP901: already used by the rule on line 2"),
    "duplicate_key": (GOOD_RULE.replace("    rule:", "    name: other\n    rule:"), r":5: duplicate key 'name' (first written on line 3)"),
    "undefined_util": (GOOD_RULE.replace("pattern: print($$$)", "matches: is-print"), r":6: FAP901: 'matches' refers to an undefined utility rule 'is-print'"),
    "unparsable_pattern": (GOOD_RULE.replace("print($$$)", "'def ('"), r":2: FAP901: pattern 'def (' is not valid Python code"),
    "bad_kind": (GOOD_RULE.replace("pattern: print($$$)", "kind: cal"), r":2: FAP901: ast-grep cannot use this rule: Rule contains invalid kind matcher. / Invalid Kind / Kind `cal` is invalid."),
    "bad_regex": (GOOD_RULE.replace("pattern: print($$$)", "regex: '('"), r":2: FAP901: ast-grep cannot use this rule: Rule contains invalid regex matcher."),
    "wrong_type": (GOOD_RULE.replace("    rule:", "    enabled: yes please\n    rule:"), r":5: FAP901: 'enabled' must be a boolean"),
    "python_object": ("rules: !!python/object/apply:os.system ['true']\n", r":1: invalid YAML: a tag that would construct a Python object is not allowed"),
    "not_a_mapping": ("- just\n- a list\n", r":1: a rulebook must be a mapping"),
    "billion_laughs": (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
        r": the document expands to more than",
    ),
}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    body = text if not text.startswith("\n  - code") else "rules:" + text
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_mistake_gets_a_clear_message(tmp_path, name):
    text, expected = BROKEN[name]
    path = write(tmp_path, name, text)
    with pytest.raises(RulebookError) as caught:
        load_rulebooks([path])
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert expected in message, message
    assert "Traceback" not in message and "Stack backtrace" not in message


def test_the_good_rule_itself_loads(tmp_path):
    rules = load_rulebooks([write(tmp_path, "good", GOOD_RULE)]).rules
    assert [(r.code, r.name) for r in rules] == [("FAP901", "no-print")]


def test_every_problem_is_reported_at_once(tmp_path):
    text = GOOD_RULE.replace("pattern:", "patern:") + GOOD_RULE.replace("FAP901", "FAP902").replace("message:", "mesage:")
    with pytest.raises(RulebookError) as caught:
        load_rulebooks([write(tmp_path, "two", text)])
    assert len(caught.value.problems) >= 2


def test_plugin_exits_with_the_message_not_a_traceback(tmp_path, monkeypatch):
    path = write(tmp_path, "broken", BROKEN["unknown_rule_key"][0])
    monkeypatch.setattr("flake8_fastapi_prod.plugin.default_rulebook_path", lambda: path)
    with pytest.raises(SystemExit) as caught:
        _load_or_exit()
    assert "unknown key 'patern'" in str(caught.value.code)


def test_flake8_run_with_a_broken_rulebook_exits_cleanly(tmp_path):
    path = write(tmp_path, "broken", BROKEN["undefined_util"][0])
    target = tmp_path / "app.py"
    target.write_text("print(1)\n")
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        import flake8_fastapi_prod.plugin as plugin
        plugin.default_rulebook_path = lambda: Path({str(path)!r})
        from flake8.main.cli import main
        sys.exit(main(["--isolated", {str(target)!r}]))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert f"{path}:6: FAP901: 'matches' refers to an undefined utility rule 'is-print'" in result.stderr
