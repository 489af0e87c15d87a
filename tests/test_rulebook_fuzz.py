"""Rulebooks mutated at random load, or stop with RulebookError: never a traceback, a hang, or a rule lost.

Mutations work on the data (keys dropped, renamed and retyped, values swapped, rules
duplicated), on the text (lines deleted, duplicated, swapped, truncated, YAML syntax
spliced in) and on the aliases (anchors expanded into huge documents). Every outcome is
checked the same way:

- an error is a :class:`RulebookError` whose every problem names the file
  (``file[:line]: CODE: problem``); any other exception is a traceback the user would see;
- a load finishes within a few seconds (a watchdog interrupts it);
- a rulebook that loads keeps every rule it declares: each code is in ``rules`` or, turned
  off by a setting, in ``turned_off``; each rule is well-formed (a one-line message, a
  boolean ``enabled``); and the engine runs every one of them without an internal error.

Known bugs are left out of the properties (``KNOWN_CRASH_SITES``, :func:`known_bug`,
``KNOWN_SECOND_LINE``, now gone: every bug found is fixed) and pinned by xfail(strict) tests: when one is fixed,
its xfail test fails, and its entry here goes too (and in fuzz/fuzz_rulebook.py).
"""

from __future__ import annotations

import copy
import os
import signal
import time
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, event, given, note, reject, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from flake8_fastapi_prod import schema
from flake8_fastapi_prod.effective import Rulebook, load_effective_rulebook, load_rulebooks
from flake8_fastapi_prod.engine import INTERNAL_ERROR_CODE, check_source
from flake8_fastapi_prod.errors import RulebookError
from flake8_fastapi_prod.model import default_rulebook_path
from flake8_fastapi_prod.yaml_source import load_yaml

SCALE = int(os.environ.get("FAP_PROPERTY_SCALE", "1"))
RANDOM = os.environ.get("FAP_PROPERTY_RANDOM") == "1"
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
LOAD_SECONDS = 10  # a load that takes longer is a hang


def budget(examples: int) -> settings:
    return settings(max_examples=examples * SCALE, deadline=None, derandomize=not RANDOM, database=None,
                    suppress_health_check=list(HealthCheck), phases=PHASES)


DEFAULT = yaml.safe_load(default_rulebook_path().read_text(encoding="utf-8"))
DEFAULT_CODES = {rule["code"] for rule in DEFAULT["rules"]}


def _team_rule(code: str, new_code: str) -> dict:
    rule = copy.deepcopy(next(r for r in DEFAULT["rules"] if r["code"] == code))
    rule["code"] = new_code
    rule["name"] = "team-" + rule["name"]
    examples = rule.get("examples", {})
    for key in ("invalid", "valid"):
        examples[key] = [text.replace(code, new_code) for text in examples.get(key, [])]
    return rule


# A team rulebook using every feature: shared utils, the `imported:` shorthand, a fix,
# rule settings with disabled_when, top-level settings and overrides of default rules.
TEAM = {
    "settings": {"handled_exceptions": ["HTTPException"]},
    "rules": [
        {"code": "FAP901", "name": "no-print-in-async", "message": "print() in async code; use the logger",
         "note": "print() writes unstructured text to stdout; use logging.",
         "rule": {"pattern": "print($$$)", "all": [{"matches": "in-async-function"}]},
         "examples": {"invalid": ['async def handler():\n    print("hi")  # expect: FAP901:5\n'],
                      "valid": ['def script():\n    print("hi")\n']}},
        _team_rule("FAP202", "FAP902"),
        _team_rule("FAP303", "FAP933"),
        _team_rule("FAP401", "FAP941"),
        _team_rule("FAP504", "FAP954"),
    ],
    "overrides": {"FAP202": {"message": "do not sleep in async code (see wiki/async)"},
                  "FAP203": {"enabled": False}, "FAP207": {"enabled": True}},
}

SAMPLE = """\
import time, subprocess, shutil, requests, httpx, redis, asyncio, pytest
from time import sleep as nap
from fastapi import FastAPI, APIRouter, Depends, HTTPException
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

engine = create_engine("postgresql://db")
app = FastAPI()


@app.on_event("startup")
async def startup():
    time.sleep(1)
    nap(1)
    print("up")
    requests.get("http://x")
    open("f").read()
    subprocess.run(["ls"])
    redis.Redis().get("k")


@app.get("/items")
async def items(session: Session = Depends()):
    try:
        return await asyncio.get_running_loop().run_in_executor(None, time.sleep, 1)
    except Exception:
        raise HTTPException(500)


@pytest.fixture
def client():
    yield httpx.Client(app=app)
"""


# -- the checks every outcome gets ----------------------------------------------------------


def say(text: str) -> None:
    if currently_in_test_context():
        note(text)


def say_event(text: str) -> None:
    if currently_in_test_context():
        event(text)


def give_up(reason: str) -> None:
    """Leave out an input that hits a known bug (pinned by an xfail test below)."""
    if not currently_in_test_context():
        raise AssertionError(reason)
    event(reason)
    reject()


class Hang(Exception):
    pass


@contextmanager
def watchdog(seconds: float):
    def expire(signum, frame):
        raise Hang(f"loading took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load(path: Path, as_team: bool) -> Rulebook | RulebookError:
    started = time.perf_counter()
    try:
        with watchdog(LOAD_SECONDS):
            return load_effective_rulebook([path]) if as_team else load_rulebooks([path])
    except RulebookError as error:
        assert_clear(error, path)
        return error
    finally:
        say(f"loaded in {time.perf_counter() - started:.2f} s")


class KnownBug(Exception):
    pass


def assert_clear(error: RulebookError, path: Path) -> None:
    """Every problem names a file (and a line when it has one) and says what is wrong.

    A problem's message may go on over several lines when it quotes code (a fix example that
    gives other code than expected); its first line names the file.
    """
    assert error.problems and str(error) == "\n".join(str(problem) for problem in error.problems)
    allowed = (str(path), str(default_rulebook_path()), "fap-settings")
    for problem in error.problems:
        assert problem.file in allowed and isinstance(problem.line, int) and problem.line >= 0, problem
        assert isinstance(problem.message, str) and problem.message.strip(), problem
        assert str(problem).startswith(problem.file) and "Traceback" not in problem.message, problem


def assert_nothing_lost(book: Rulebook, declared: set[str], path: Path) -> None:
    loaded = {rule.code for rule in book.rules}
    assert len(loaded) == len(book.rules)
    assert loaded | set(book.turned_off) == declared, "a rule was dropped (or invented) without a word"
    assert not loaded & set(book.turned_off)
    for rule in book.rules:
        assert isinstance(rule.message, str) and rule.message.strip() and "\n" not in rule.message, rule.code
        assert isinstance(rule.enabled, bool) and isinstance(rule.note, str), rule.code
    findings = check_source(SAMPLE, book.rules)
    assert not [f for f in findings if f.code == INTERNAL_ERROR_CODE], "a rule that loads fails on every file"


def declared_codes(data: Any) -> set[str]:
    entries = data.get("rules") if isinstance(data, dict) else None
    return {entry["code"] for entry in entries or [] if isinstance(entry, dict)}


def known_bug(data: Any) -> str | None:
    """An input that hits a bug pinned by an xfail test: none are open now."""
    return None


# (file, function) where a known bug raises, each pinned by an xfail(strict) test below.
KNOWN_CRASH_SITES: dict[tuple[str, str], str] = {}


def known_crash(error: BaseException) -> str | None:
    if not isinstance(error, (TypeError, ValueError, RuntimeError)) or error.__traceback__ is None:
        return None
    last = traceback.extract_tb(error.__traceback__)[-1]
    return KNOWN_CRASH_SITES.get((Path(last.filename).name, last.name))


def check_document(path: Path, text: str | bytes, as_team: bool) -> Rulebook | RulebookError:
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    try:
        outcome = load(path, as_team)
    except Hang:
        raise
    except KnownBug as bug:
        give_up(str(bug))
        raise
    except Exception as error:
        bug = known_crash(error)
        if bug:
            give_up(f"known bug: {bug}")
        raise AssertionError(f"a traceback instead of a RulebookError: {type(error).__name__}: {error}") from error
    if isinstance(outcome, RulebookError):
        say_event("stopped with a RulebookError")
        return outcome
    say_event("loaded")
    data = load_yaml(path)
    declared = declared_codes(data) | (DEFAULT_CODES if as_team else set())
    try:
        assert_nothing_lost(outcome, declared, path)
    except AssertionError:
        if known_bug(data):
            give_up(f"known bug: {known_bug(data)}")
        raise
    return outcome


# -- mutations of the data --------------------------------------------------------------------

KNOWN_KEYS = sorted(set(schema.TOP_LEVEL_KEYS + schema.RULE_ENTRY_KEYS + schema.RELATION_KEYS + schema.OVERRIDE_KEYS
                        + schema.EXAMPLE_KEYS + schema.FIX_KEYS + schema.PATTERN_OBJECT_KEYS))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2**63), st.floats(), st.text(max_size=12),
    st.sampled_from(["FAP901", "FAP202", "FAP999", "FAP1", "print($$$)", "$A", "$$$", "${asyncio_mode}", "${nope}",
                     "end", "neighbor", "call", "function_definition", "ERROR", "a\nb", "[", "(", "time.sleep", "auto",
                     "in-async-function", "x = 1  # expect: FAP901", "2n+1", "^async", "(?P<x>", "\\"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.one_of(st.sampled_from(KNOWN_KEYS), scalars), inner, max_size=3)),
    max_leaves=6)
new_keys = st.one_of(st.sampled_from(KNOWN_KEYS), scalars)


def locations(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found.append(prefix + (key,))
        found += locations(child, prefix + (key,))
    return found


def parent_of(document: Any, location: tuple) -> Any:
    node = document
    for key in location[:-1]:
        node = node[key]
    return node


def mutate_data(document: Any, draw) -> Any:
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 4))):
        places = locations(document)
        if not places:
            return draw(values)
        where = draw(st.sampled_from(places))
        parent, key = parent_of(document, where), where[-1]
        kind = draw(st.sampled_from(["drop", "rename", "retype", "swap", "duplicate", "wrap"]))
        if kind == "drop":
            del parent[key]
        elif kind == "rename" and isinstance(parent, dict):
            parent[draw(new_keys)] = parent.pop(key)
        elif kind == "swap":
            other = draw(st.sampled_from(places))
            if where[:len(other)] != other and other[:len(where)] != where:  # neither inside the other
                other_parent = parent_of(document, other)
                parent[key], other_parent[other[-1]] = other_parent[other[-1]], parent[key]
        elif kind == "duplicate" and isinstance(parent, list):
            parent.insert(draw(st.integers(0, len(parent))), copy.deepcopy(parent[key]))
        elif kind == "wrap":  # the right value with the wrong shape: x -> [x] or {key: x}
            parent[key] = draw(st.sampled_from([[parent[key]], {"pattern": parent[key]}, str(parent[key])]))
        else:
            parent[key] = draw(values)
    return document


def dump(document: Any) -> str:
    return yaml.dump(document, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False,
                     allow_unicode=True, width=100)


@budget(20)
@given(data=st.data())
def test_mutated_default_rulebook(tmp_path_factory, data):
    document = mutate_data(DEFAULT, data.draw)
    check_document(tmp_path_factory.mktemp("rb") / "rules.yaml", dump(document), as_team=False)


@budget(20)
@given(data=st.data())
def test_mutated_team_rulebook(tmp_path_factory, data):
    document = mutate_data(TEAM, data.draw)
    check_document(tmp_path_factory.mktemp("rb") / "team.yaml", dump(document), as_team=True)


@budget(8)
@given(data=st.data())
def test_edits_that_keep_a_rulebook_valid_lose_no_rule(tmp_path_factory, data):
    # Most random mutations stop with an error; these keep the team rulebook valid, so the
    # check that every declared rule is loaded (or turned off by a setting) runs every time.
    document = copy.deepcopy(TEAM)
    rules = document["rules"]
    for _ in range(data.draw(st.integers(1, 6))):
        rule = data.draw(st.sampled_from(rules))
        edit = data.draw(st.sampled_from(["reorder", "copy", "drop optional", "toggle", "disable when", "override",
                                          "message"]))
        if edit == "reorder":
            data.draw(st.randoms()).shuffle(rules)
        elif edit == "copy":
            taken = {r["code"] for r in rules}
            code = data.draw(st.sampled_from([f"FAP9{n:02d}" for n in range(100) if f"FAP9{n:02d}" not in taken]))
            twin = copy.deepcopy(rule)
            twin["code"], twin["name"] = code, f"{rule['name']}-{code.lower()}"
            for key in ("invalid", "valid"):
                twin.get("examples", {})[key] = [t.replace(rule["code"], code) for t in twin.get("examples", {}).get(key, [])]
            rules.append(twin)
        elif edit == "drop optional":
            rule.pop(data.draw(st.sampled_from(["note", "examples", "fix", "enabled"])), None)
        elif edit == "toggle":
            rule["enabled"] = data.draw(st.booleans())
        elif edit == "disable when":
            rule.setdefault("settings", {})["asyncio_mode"] = "strict"
            rule["disabled_when"] = {"asyncio_mode": data.draw(st.sampled_from(["auto", "strict", ["auto", "strict"]]))}
        elif edit == "override":
            code = data.draw(st.sampled_from(sorted(DEFAULT_CODES)))
            document["overrides"][code] = {"enabled": data.draw(st.booleans())}
        else:
            rule["message"] = data.draw(st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1,
                                                max_size=30).filter(str.strip))
    outcome = check_document(tmp_path_factory.mktemp("rb") / "team.yaml", dump(document), as_team=True)
    assert isinstance(outcome, Rulebook), str(outcome)


def test_the_unmutated_rulebooks_load(tmp_path):
    check_document(tmp_path / "rules.yaml", dump(DEFAULT), as_team=False)
    check_document(tmp_path / "team.yaml", dump(TEAM), as_team=True)
    book = load_effective_rulebook([tmp_path / "team.yaml"])
    assert {"FAP901", "FAP902", "FAP933", "FAP941", "FAP954"} <= {r.code for r in book.rules}


# -- mutations of the text ---------------------------------------------------------------------

SYNTAX = ["", ":", ": ", "- ", "-", "[", "]", "{", "}", ",", "&a ", "*a", "&a", "*missing", "<<: *a", "!!python/name:os.system ",
          "!!str ", "!!int ", "!!binary ", "!!set ", "!local ", "? ", "|", ">", "|-", '"', "'", "#", "\t", "  ", "\\",
          "%YAML 1.1\n---\n", "---\n", "...\n", "\x00", "\ufeff", "\x85", "\u2028", "\r", "@", "`", "%", "~", "null",
          "0x1F", "1e999", ".nan", "2024-01-01", "yes", "no"]


@budget(24)
@given(data=st.data(), as_team=st.booleans())
def test_mutated_rulebook_text(tmp_path_factory, data, as_team):
    lines = dump(TEAM if as_team else DEFAULT).splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 5))):
        i = data.draw(st.integers(0, len(lines) - 1)) if lines else 0
        j = data.draw(st.integers(0, len(lines) - 1)) if lines else 0
        kind = data.draw(st.sampled_from(["delete", "duplicate", "swap", "truncate", "splice", "indent", "dedent"]))
        if not lines:
            lines = [data.draw(st.sampled_from(SYNTAX))]
        elif kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(j, lines[i])
        elif kind == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "truncate":
            lines[i:] = [lines[i][:data.draw(st.integers(0, len(lines[i])))]]
        elif kind == "splice":
            at = data.draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + data.draw(st.one_of(st.sampled_from(SYNTAX), st.text(max_size=4))) + lines[i][at:]
        elif kind == "indent":
            lines[i] = "  " + lines[i]
        else:
            lines[i] = lines[i].lstrip(" ")
    text = "".join(lines)
    raw = text.encode("utf-8", "surrogatepass")
    if data.draw(st.booleans(), label="invalid UTF-8 byte"):
        at = data.draw(st.integers(0, len(raw)))
        raw = raw[:at] + data.draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf"])) + raw[at:]
    check_document(tmp_path_factory.mktemp("rb") / "book.yaml", raw, as_team)


# -- anchors and aliases -----------------------------------------------------------------------


def anchors(width: int, depth: int, leaf: str) -> list[str]:
    """Utils u0..u{depth}: each an `any:` of `width` aliases of the one before (all valid rules)."""
    lines = [f"u0: &a0 {leaf}"]
    for level in range(1, depth + 1):
        lines.append(f"u{level}: &a{level} {{any: [" + ", ".join([f"*a{level - 1}"] * width) + "]}")
    return lines


def expanded_nodes(width: int, depth: int) -> int:
    size = 2  # the leaf: a mapping and its value
    for _ in range(depth):
        size = 2 + width * size
    return size


def indented(lines: list[str], by: int) -> str:
    return "".join(" " * by + line + "\n" for line in lines)


RULE = "rules:\n  - code: FAP901\n    name: bomb\n    message: m\n"


def bomb_document(place: str, width: int, depth: int, leaf: str) -> str:
    made = anchors(width, depth, leaf)
    if place == "shared utils":
        return "utils:\n" + indented(made, 2) + RULE + f"    rule: {{matches: u{depth}}}\n"
    if place == "local utils":
        return RULE + "    utils:\n" + indented(made, 6) + f"    rule: {{matches: u{depth}}}\n"
    if place == "alias as the rule":
        return "utils:\n" + indented(made, 2) + RULE + f"    rule: *a{depth}\n"
    if place == "unknown top-level key":
        return "bombs:\n" + indented(made, 2)
    if place == "settings":  # nested lists as a list setting that FAP401 substitutes into its rule
        levels = ["&l0 [HTTPException, ValueError]"] + [
            f"&l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, depth + 1)]
        return "settings:\n  handled_exceptions: [" + ", ".join(levels) + "]\n"
    if place == "examples":
        levels = ["&e0 'print(1)\\n'"] + [f"&e{i} [" + ", ".join([f"*e{i - 1}"] * width) + "]" for i in range(1, depth + 1)]
        return RULE + "    rule: {pattern: print($$$)}\n    examples:\n      valid: [" + ", ".join(levels) + "]\n"
    assert place == "merge keys"
    chain = [f"m0: &m0 {leaf}"] + [f"m{i}: &m{i} {{<<: *m{i - 1}}}" for i in range(1, width * depth)]
    return "utils:\n" + indented(chain, 2) + RULE + f"    rule: {{matches: m{width * depth - 1}}}\n"


PLACES = ["shared utils", "local utils", "alias as the rule", "unknown top-level key", "settings", "examples",
          "merge keys"]


@budget(40)
@given(width=st.integers(1, 40), depth=st.integers(1, 8),
       leaf=st.sampled_from(["{pattern: 'print($$$)'}", "{kind: call}", "{regex: '^x'}", "x", "[]"]),
       place=st.sampled_from(PLACES), as_team=st.booleans())
def test_anchors_and_aliases(tmp_path_factory, width, depth, leaf, place, as_team):
    check_document(tmp_path_factory.mktemp("rb") / "bomb.yaml", bomb_document(place, width, depth, leaf), as_team)


@pytest.mark.parametrize("levels", [9, 30])
def test_billion_laughs_is_refused_quickly(tmp_path, levels):
    path = tmp_path / "laughs.yaml"
    path.write_text("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                    + "".join(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, levels)))
    started = time.perf_counter()
    with pytest.raises(RulebookError, match="expands to more than"):
        with watchdog(LOAD_SECONDS):
            load_effective_rulebook([path])
    assert time.perf_counter() - started < 2


def test_deep_nesting_is_refused(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("rules:\n  - code: FAP901\n    name: deep\n    message: m\n    rule:\n"
                    + "".join("  " * (i + 3) + "not:\n" for i in range(900)) + "  " * 903 + "pattern: print($$$)\n")
    with pytest.raises(RulebookError, match="nested too deeply|maximum nesting depth"):
        with watchdog(LOAD_SECONDS):
            load_effective_rulebook([path])


# -- YAML that would construct Python objects ------------------------------------------------

PYTHON_TAGS = {
    "apply": "rules: !!python/object/apply:os.system ['touch {marker}']\n",
    "apply in a rule": "rules:\n  - code: FAP901\n    name: x\n    message: !!python/object/apply:os.system ['touch {marker}']\n"
                       "    rule: {{pattern: print($$$)}}\n",
    "apply as a key": "? !!python/object/apply:os.system ['touch {marker}']\n: 1\n",
    "new": "rules: !!python/object/new:subprocess.Popen [['touch', '{marker}']]\n",
    "name": "settings: {{x: !!python/name:os.system }}\n",
    "module": "settings: {{x: !!python/module:os }}\n",
    "object": "settings: {{x: !!python/object:pathlib.PosixPath {{}} }}\n",
    "tuple": "settings: {{x: !!python/tuple [1, 2]}}\n",
    "tag directive": "%TAG !py! tag:yaml.org,2002:python/\n---\nrules: !py!object/apply:os.system ['touch {marker}']\n",
    "verbatim tag": "rules: !<tag:yaml.org,2002:python/object/apply:os.system> ['touch {marker}']\n",
    "in an alias": "x-a: &a !!python/object/apply:os.system ['touch {marker}']\nrules: *a\n",
}


@pytest.mark.parametrize("name", sorted(PYTHON_TAGS))
def test_python_objects_are_refused(tmp_path, name):
    marker = tmp_path / "constructed"
    path = tmp_path / "evil.yaml"
    path.write_text(PYTHON_TAGS[name].format(marker=marker))
    with pytest.raises(RulebookError) as raised:
        load_effective_rulebook([path])
    assert_clear(raised.value, path)
    assert "not allowed" in str(raised.value)
    assert not marker.exists()


@pytest.mark.parametrize("text", [
    "rules: !!binary aGVsbG8=\n", "rules: !!set {a, b}\n", "rules: !!omap [a: 1]\n", "settings: {x: 2024-01-01}\n",
    "rules: !local [1]\n", "settings: !!timestamp 2024-01-01\n", "rules: [!!float 1]\n",
])
def test_other_tags_load_or_stop_clearly(tmp_path, text):
    check_document(tmp_path / "tags.yaml", text, as_team=True)


# -- bugs these tests found: fixed ones as plain tests, open ones xfail(strict) --------------


def _load_text(tmp_path: Path, text: str) -> Rulebook:
    path = tmp_path / "team.yaml"
    path.write_text(text)
    return load_effective_rulebook([path])


# Found by retyping values by hand, as the mutations above do. Before the fix: TypeError or
# ValueError out of effective.load_rulebooks (`rule_settings...update(fields.get("settings") or {})`).
@pytest.mark.parametrize("value", ["5", "[1, 2]", "text"])
def test_override_settings_must_be_a_mapping(tmp_path, value):
    with pytest.raises(RulebookError, match=r"team.yaml:3: FAP202: 'settings' must be a mapping"):
        _load_text(tmp_path, f"overrides:\n  FAP202:\n    settings: {value}\n")


# Found by retyping values by hand, as the mutations above do. Before the fix: TypeError out of
# rulebook._read_examples (`for pair in value.get("fixes") or []` on a number).
def test_examples_fixes_must_be_a_list(tmp_path):
    with pytest.raises(RulebookError, match=r"team.yaml:7: FAP901: 'examples.fixes' must be a list"):
        _load_text(tmp_path, "rules:\n  - code: FAP901\n    name: x\n    message: m\n    rule: {pattern: print($$$)}\n"
                             "    examples:\n      fixes: 5\n")


# Found by retyping values by hand, as the mutations above do. Before the fix an override's values
# were copied as they were: enabled: 'false' (a string) left the rule on; a number became the message.
@pytest.mark.parametrize("field, value, kind", [
    ("enabled", "'false'", "a boolean"), ("enabled", "0", "a boolean"), ("message", "123", "a string"),
    ("message", "[a, b]", "a string"), ("message", "null", "a string"), ("note", "5", "a string"),
])
def test_override_values_are_checked(tmp_path, field, value, kind):
    with pytest.raises(RulebookError, match=rf"team.yaml:3: FAP202: '{field}' must be {kind}"):
        _load_text(tmp_path, f"overrides:\n  FAP202:\n    {field}: {value}\n")


@pytest.mark.parametrize("value", ["''", "'   '", '"two\\nlines"'])
def test_an_override_message_is_one_non_empty_line(tmp_path, value):
    with pytest.raises(RulebookError, match=r"team.yaml:3: FAP202: 'message' must be one non-empty line"):
        _load_text(tmp_path, f"overrides:\n  FAP202:\n    message: {value}\n")


def test_a_rule_expanded_from_aliases_is_refused_while_small(tmp_path):
    width = 100
    text = ("rules:\n  - code: FAP901\n    name: wide\n    message: m\n    utils:\n"
            "      p: &p {pattern: 'print($$$X)'}\n"
            "      q: &q {any: [" + ", ".join(["*p"] * width) + "]}\n"
            "      r: {any: [" + ", ".join(["*q"] * width) + "]}\n"
            "    rule: {matches: r}\n")
    with pytest.raises(RulebookError, match="expands to more than"):
        with watchdog(LOAD_SECONDS):
            _load_text(tmp_path, text)


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\ufffe"])
def test_a_control_character_is_reported_on_one_line(tmp_path, char):
    path = tmp_path / "team.yaml"
    path.write_text("rules:\n  - code: FAP901\n    name: x" + char + "\n", encoding="utf-8")
    with pytest.raises(RulebookError) as raised:
        load_effective_rulebook([path])
    assert_clear(raised.value, path)
    assert str(raised.value).startswith(f"{path}:3: invalid YAML: ")


@pytest.mark.parametrize("rule", ["{kind: call, has: {field: no_such_field, kind: identifier}}", "{kind: cal}",
                                  "{regex: '('}"])
def test_a_rule_ast_grep_rejects_with_fix_examples_stops_clearly(tmp_path, rule):
    with pytest.raises(RulebookError, match=r"team.yaml:2: FAP901: ast-grep cannot use this rule"):
        _load_text(tmp_path, "rules:\n  - code: FAP901\n    name: x\n    message: m\n    rule: " + rule + "\n"
                             '    fix: "g()"\n    examples:\n      fixes:\n        - before: "f(x)\\n"\n'
                             '          after: "g()\\n"\n')
