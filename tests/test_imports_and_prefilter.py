"""Import resolution behind the `imported:` shorthand, and the prefilter derived from each rule."""

from __future__ import annotations

import dataclasses

import pytest
from ast_grep_py import SgRoot

from conftest import EXAMPLE_APP, FIXTURES
from flake8_fastapi_prod.engine import check_source
from flake8_fastapi_prod.imports import Spelling, read_imports
from flake8_fastapi_prod.rulebook import Rule
from flake8_fastapi_prod.shorthand import expand, holds, requirement


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
        "has": {"field": "function", "all": [{"any": [{"pattern": "t.sleep"}, {"pattern": "nap", "inside": in_function}]}]},
    }


def test_requirement_of_a_rule():
    utils = {"in-async": {"inside": {"kind": "function_definition", "regex": "^async"}}}
    rule = {"any": [{"pattern": "$A.on_event($$$)"}, {"has": {"imported": "fastapi.FastAPI"}}], "matches": "in-async"}
    req = requirement(rule, utils)
    no_imports = lambda name: ()  # noqa: E731
    with_fastapi = lambda name: (Spelling("FastAPI"),) if name == "fastapi.FastAPI" else ()  # noqa: E731
    assert holds(req, "@app.on_event('x')\nasync def f(): ...", no_imports)
    assert not holds(req, "@app.on_event('x')\ndef f(): ...", no_imports)  # the util's regex needs `async`
    assert not holds(req, "async def nothing_here(): ...", no_imports)
    assert holds(req, "app = FastAPI()\nasync def f(): ...", with_fastapi)
    assert not holds(req, "imported but never used\nasync def f(): ...", with_fastapi)
    assert requirement({"not": {"pattern": "x.y"}}, {}) is True
    assert requirement({"any": []}, {}) is False


@pytest.mark.parametrize(
    ("regex", "needs"),
    [
        ("^pool_size$", ("text", "pool_size")),
        ("^on_(startup|shutdown)$", ("any", (("text", "on_startup"), ("text", "on_shutdown")))),
        ("^(dispose|close)$", ("any", (("text", "dispose"), ("text", "close")))),
        ("contextmanager", ("text", "contextmanager")),
        ("[Ee]ngine", True),
        ("^async[ \\t]", ("text", "async")),
        ("^(fastapi|starlette)([.]|$)", ("any", (("text", "fastapi"), ("text", "starlette")))),
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
    runnable = [r.code for r in rulebook.rules if holds(r.requirement, source, imports.spellings)]
    assert runnable == []


def test_message_interpolates_metavariables():
    rule = Rule(code="FAP901", name="no-print", message="do not call $FN here", body={"pattern": "$FN($$$)", "regex": "^print"})
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
