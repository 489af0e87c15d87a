"""Import resolution behind the `imported:` shorthand, and the prefilter derived from each rule."""

from __future__ import annotations

import dataclasses

import pytest
from ast_grep_py import SgRoot

from conftest import EXAMPLE_APP, FIXTURES
from flake8_fastapi_prod.engine import check_source
from flake8_fastapi_prod.imports import Spelling, read_imports
from flake8_fastapi_prod.model import Rule
from flake8_fastapi_prod import engine
from flake8_fastapi_prod.prefilter import SourceFacts, holds, requirement
from flake8_fastapi_prod.shorthand import expand


def spellings(source: str, name: str) -> tuple[str, ...]:
    """The module-wide spellings; those scoped to a function are shown as `text@line`."""
    found = read_imports(SgRoot(source, "python").root()).spellings(name)
    return tuple(s.text if s.scope is None else f"{s.text}@{s.scope[0] + 1}" for s in found)


@pytest.mark.parametrize(
    ("source", "name", "expected"),
    [
        ("import time\n", "time.sleep", ("time.sleep",)),
        ("import time as t\n", "time.sleep", ("t.sleep",)),
        ("from time import sleep as nap\n", "time.sleep", ("nap",)),
        ("from time import (\n    monotonic,\n    sleep,\n)\n", "time.sleep", ("sleep",)),
        ("import sqlalchemy as sa\n", "sqlalchemy.create_engine", ("sa.create_engine",)),
        ("import redis.asyncio as aioredis\n", "redis.asyncio.Redis", ("aioredis.Redis",)),
        ("import redis.asyncio as aioredis\n", "redis.Redis", ()),
        ("import redis.asyncio\n", "redis.Redis", ("redis.Redis",)),
        ("from redis import asyncio as aioredis\n", "redis.asyncio.from_url", ("aioredis.from_url",)),
        ("from urllib.request import urlopen\n", "urllib.request.urlopen", ("urlopen",)),
        ("from time import *\n", "time.sleep", ("sleep",)),
        ("from . import time\n", "time.sleep", ()),
        ("from .time import sleep\n", "time.sleep", ()),
        ("def f():\n    import requests\n", "requests.get", ("requests.get@1",)),
        ("class C:\n    import requests\n", "requests.get", ("requests.get",)),
        ("try:\n    import ujson as json\nexcept ImportError:\n    import json\n", "json.loads", ("json.loads",)),
        ("", "time.sleep", ()),
        ("", "builtins.open", ("open",)),
        ("from aiofiles import open\n", "builtins.open", ()),
        ("import builtins\n", "builtins.open", ("builtins.open", "open")),
    ],
)
def test_spellings(source, name, expected):
    assert spellings(source, name) == expected


def test_expand_replaces_the_shorthand_with_patterns_and_keeps_the_rest():
    rule = {"kind": "call", "has": {"field": "function", "imported": ["time.sleep", "os.system"]}}
    spelled = {"time.sleep": (Spelling("t.sleep"), Spelling("nap", (3, 0, 9, 12))), "os.system": ()}
    expanded = expand(rule, spelled.__getitem__)
    in_function = {"kind": "function_definition", "stopBy": "end",
                   "range": {"start": {"line": 3, "column": 0}, "end": {"line": 9, "column": 12}}}
    assert expanded == {
        "kind": "call",
        "has": {"field": "function",
                "all": [{"any": [{"pattern": "t.sleep"}, {"pattern": "nap", "inside": in_function}]}]},
    }


def holds_in(req, text: str, spell=None) -> bool:
    """Whether ``req`` holds for ``text``: with ``spell``, as after parsing; without, from the words alone."""
    facts = SourceFacts(text)
    facts.spell = spell
    return holds(req, facts)


def test_requirement_of_a_rule():
    utils = {"in-async": {"inside": {"kind": "function_definition", "regex": "^async"}}}
    rule = {"any": [{"pattern": "$A.on_event($$$)"}, {"has": {"imported": "fastapi.FastAPI"}}], "matches": "in-async"}
    req = requirement(rule, utils)
    no_imports = lambda name: ()  # noqa: E731
    with_fastapi = lambda name: (Spelling("FastAPI"),) if name == "fastapi.FastAPI" else ()  # noqa: E731
    assert holds_in(req, "@app.on_event('x')\nasync def f(): ...", no_imports)
    assert not holds_in(req, "@app.on_event('x')\ndef f(): ...", no_imports)  # the util's regex needs `async`
    assert not holds_in(req, "async def nothing_here(): ...", no_imports)
    assert holds_in(req, "from fastapi import FastAPI\napp = FastAPI()\nasync def f(): ...", with_fastapi)
    assert not holds_in(req, "imported but never used\nasync def f(): ...", with_fastapi)
    assert requirement({"not": {"pattern": "x.y"}}, {}) is True
    assert requirement({"any": []}, {}) is False


def test_identifiers_are_whole_words():
    req = requirement({"pattern": "$APP.patch($$$)", "has": {"pattern": "dict"}}, {})
    assert req == ("all_words", frozenset({"patch", "dict"}))
    assert holds_in(req, "@app.patch('/')\ndef f(d: dict): ...")
    assert not holds_in(req, "dispatch(predict)")  # `patch` and `dict` occur only inside other words
    assert holds_in(("word", "get"), "x = 1\ny = a.get(2)") and not holds_in(("word", "get"), "target = forget")


def test_imports_before_and_after_parsing():
    req = requirement({"imported": ["time.sleep", "builtins.open"]}, {})
    # Before parsing, an import may exist if its module's first segment and its last occur.
    assert holds_in(req, "import time\ntime.sleep(1)")
    assert holds_in(req, "from time import sleep as nap\nnap(1)")
    assert holds_in(req, "with open(p) as f: ...")  # a builtin needs no import
    assert not holds_in(req, "import asyncio\nasyncio.sleep(1)\nopen_file(p)")  # `time`, `open`: in other words
    assert not holds_in(req, "from asyncio import sleep\nsleep(1)")  # `time` never occurs
    # After parsing, the file's own spellings decide.
    source = "import time\nfrom asyncio import sleep\nsleep(1)"
    assert holds_in(req, source)
    assert not holds_in(req, source, lambda name: ())  # neither name is imported
    assert holds_in(req, source, lambda name: (Spelling("time.sleep"),) if name == "time.sleep" else ())


def test_requirements_are_flattened_and_words_checked_first():
    rule = {"all": [{"imported": "time.sleep"}, {"pattern": "a.b"}, {"all": [{"pattern": "b"}, {"regex": "c"}]}],
            "any": [{"kind": "raise_statement"}, {"any": [{"pattern": "x"}, {"pattern": "y"}]}]}
    assert requirement(rule, {}) == ("all", (
        ("all_words", frozenset({"a", "b"})),
        ("any_word", frozenset({"raise", "x", "y"})),
        ("text", "c"),
        ("import", ("time.sleep",)),
    ))


def test_a_file_no_rule_can_apply_to_is_not_parsed(rulebook, monkeypatch):
    parsed = []
    real_root = engine.SgRoot
    monkeypatch.setattr(engine, "SgRoot", lambda source, language: parsed.append(source) or real_root(source, language))
    unrelated = "import os\n\n\ndef add(a, b):\n    return a + b\n"
    related = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"
    assert check_source(unrelated, rulebook.rules) == []
    assert [f.code for f in check_source(related, rulebook.rules)] == ["FAP202"]
    assert parsed == [related]


@pytest.mark.parametrize(
    ("regex", "needs"),
    [
        ("^pool_size$", ("word", "pool_size")),
        ("^on_(startup|shutdown)$", ("any_word", frozenset({"on_startup", "on_shutdown"}))),
        ("^(dispose|close)$", ("any_word", frozenset({"dispose", "close"}))),
        ("contextmanager", ("text", "contextmanager")),  # not anchored: `my_contextmanager_x` matches
        ("^contextmanager", ("text", "contextmanager")),  # `contextmanagers` matches
        ("[Ee]ngine", True),
        ("^async[ \\t]", ("word", "async")),
        ("^async[ \\t\\\\]", ("word", "async")),
        ("^(fastapi|starlette)([.]|$)", ("any_word", frozenset({"fastapi", "starlette"}))),
        ("^(fastapi|starlette)([.]|_x)", ("any", (("text", "fastapi"), ("text", "starlette")))),
        ("^(fastapi|starlette)([.]|$)?", ("any", (("text", "fastapi"), ("text", "starlette")))),
        ("^get\\(", ("word", "get")),
        ("^get[a-z]", ("text", "get")),
        ("^get[^.]", ("text", "get")),  # a negated class may match a word character
        ("^get.", ("text", "get")),
        ("(?i)engine", True),
        ("a\\.b", ("text", "a")),
        ("abc?", True),
        ("^foo$|^bar", True),
        ("^(a|b)?c", True),
    ],
)
def test_requirement_of_a_regex(regex, needs):
    assert requirement({"regex": regex}, {}) == needs


def without_prefilter(rules: list[Rule]) -> list[Rule]:
    return [dataclasses.replace(rule, requirement=True, _configs={}) for rule in rules]


def sources_to_compare(rulebook) -> list[str]:
    snippets = [s for r in rulebook.rules for s in r.examples.invalid + r.examples.valid]
    files = sorted(FIXTURES.glob("*.py")) + sorted(EXAMPLE_APP.glob("*.py"))
    return snippets + [p.read_text(encoding="utf-8") for p in files]


def test_prefilter_changes_no_finding(rulebook):
    unfiltered = without_prefilter(rulebook.rules)
    compared = 0
    for source in sources_to_compare(rulebook):
        assert check_source(source, rulebook.rules) == check_source(source, unfiltered)
        compared += 1
    assert compared > 80


def test_prefilter_skips_rules_on_unrelated_code(rulebook):
    source = "import os\n\n\ndef add(a, b):\n    return a + b\n"
    imports = read_imports(SgRoot(source, "python").root())
    runnable = [r.code for r in rulebook.rules if holds_in(r.requirement, source, imports.spellings)]
    assert runnable == []


def test_message_interpolates_metavariables():
    rule = Rule(code="FAP901", name="no-print", message="do not call $FN here",
                body={"pattern": "$FN($$$)", "regex": "^print"})
    assert [f.text for f in check_source("print(1)\n", [rule])] == ["FAP901 do not call print here"]


def test_rules_run_their_keys_in_written_order():
    from flake8_fastapi_prod.shorthand import in_written_order

    rule = {
        "kind": "call",
        "has": {"field": "function", "stopBy": "end", "kind": "attribute", "regex": "^get$"},
        "not": {"inside": {"kind": "module", "stopBy": "end", "has": {"pattern": "import x"}}},
        "all": [{"pattern": "$A"}, {"matches": "u"}],
    }
    assert in_written_order(rule) == {"all": [
        {"kind": "call"},
        {"has": {"field": "function", "stopBy": "end", "all": [{"kind": "attribute"}, {"regex": "^get$"}]}},
        {"not": {"inside": {"stopBy": "end", "all": [{"kind": "module"}, {"has": {"pattern": "import x"}}]}}},
        {"all": [{"pattern": "$A"}, {"matches": "u"}]},
    ]}
    assert in_written_order({"pattern": "x"}) == {"pattern": "x"}


def test_configs_kept_per_rule_stay_bounded_over_a_large_tree():
    # Imports inside functions make the spellings (with their line ranges) unique to a file.
    rule = Rule(code="FAP901", name="no-sleep", message="m", body={"imported": "time.sleep"},
                imported_names=("time.sleep",))
    for line in range(1000):
        config = rule.config_for(lambda name, line=line: (Spelling("sleep", (line, 0, line + 1, 0)),))
        assert config["rule"]["all"][0]["any"][0]["inside"]["range"]["start"]["line"] == line
    assert 0 < len(rule._configs) <= 256
