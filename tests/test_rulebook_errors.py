"""A malformed rulebook stops with one clear message naming the file, the rule and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli, run_flake8
from flake8_fastapi_prod.effective import load_effective_rulebook, load_rulebooks
from flake8_fastapi_prod.errors import RulebookError

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
    # Found by the rulebook fuzz test: a `null:` util name made the "did you mean" crash.
    "util_named_null": ("utils:\n  null: {kind: call}\nrules:" + GOOD_RULE.replace("pattern: print($$$)", "matches: is-print"),
                        r":2: a utility rule's name must be a string, not None"),
    "unparsable_pattern": (GOOD_RULE.replace("print($$$)", "'def ('"), r":2: FAP901: pattern 'def (' is not valid Python code"),
    "bad_kind": (GOOD_RULE.replace("pattern: print($$$)", "kind: cal"), r":2: FAP901: ast-grep cannot use this rule: Rule contains invalid kind matcher. / Invalid Kind / Kind `cal` is invalid."),
    "bad_regex": (GOOD_RULE.replace("pattern: print($$$)", "regex: '('"), r":2: FAP901: ast-grep cannot use this rule: Rule contains invalid regex matcher."),
    "wrong_type": (GOOD_RULE.replace("    rule:", "    enabled: yes please\n    rule:"), r":5: FAP901: 'enabled' must be a boolean"),
    "python_object": ("rules: !!python/object/apply:os.system ['true']\n", r":1: invalid YAML: a tag that would construct a Python object is not allowed"),
    "not_a_mapping": ("- just\n- a list\n", r":1: a rulebook must be a mapping"),
    "team_code_outside_team_family": (GOOD_RULE.replace("FAP901", "FAP150"), r":2: FAP150: FAP150 is not a default rule; new team rules use codes FAP900 to FAP999"),
    "failing_example": (
        GOOD_RULE + "    examples:\n      invalid:\n        - |\n          x = 1  # expect: FAP901\n          print(x)\n",
        r":2: FAP901: invalid example 1: expected FAP901 on line 1, got FAP901 on line 2",
    ),
    "override_of_unknown_rule": ("overrides:\n  FAP2O2:\n    enabled: false\n", r":2: FAP2O2: overrides a rule that does not exist; did you mean FAP202?"),
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
        load_effective_rulebook([path])
    message = str(caught.value)
    assert f"{path}{expected}" in message, message
    assert "Traceback" not in message and "Stack backtrace" not in message


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_flake8_stops_with_the_message(tmp_path, name):
    text, expected = BROKEN[name]
    path = write(tmp_path, name, text)
    (tmp_path / "app.py").write_text("print(1)\n")
    result = run_flake8("--fap-rulebooks", str(path), "app.py", cwd=tmp_path)
    stderr = result.stderr.decode()
    assert result.returncode != 0 and result.stdout == b""
    assert f"{path}{expected}" in stderr and "Traceback" not in stderr, stderr


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_check_command_prints_the_problem_and_fails(tmp_path, name):
    text, expected = BROKEN[name]
    path = write(tmp_path, name, text)
    result = run_cli("check", str(path))
    assert result.returncode == 1
    assert f"{path}{expected}" in result.stdout and "Traceback" not in result.stderr, result.stdout + result.stderr


def test_the_good_rule_itself_loads(tmp_path):
    rules = load_rulebooks([write(tmp_path, "good", GOOD_RULE)]).rules
    assert [(r.code, r.name) for r in rules] == [("FAP901", "no-print")]


def test_every_problem_is_reported_at_once(tmp_path):
    text = GOOD_RULE.replace("pattern:", "patern:") + GOOD_RULE.replace("FAP901", "FAP902").replace("message:", "mesage:")
    with pytest.raises(RulebookError) as caught:
        load_rulebooks([write(tmp_path, "two", text)])
    assert len(caught.value.problems) >= 2
