"""Import resolution behind the `imported:` shorthand, and the prefilter derived from each rule."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from ast_grep_py import SgRoot
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLE_APP, FIXTURES
from flake8_fastapi_prod.engine import check_source
from flake8_fastapi_prod.imports import Spelling, python_tree, read_imports, read_source_imports
from flake8_fastapi_prod.model import Rule
from flake8_fastapi_prod import engine
from flake8_fastapi_prod.prefilter import SourceFacts, TriggerIndex, beyond_triggers, calls, holds, words_of
from flake8_fastapi_prod.requirements import requirement, triggers
from flake8_fastapi_prod.shorthand import expand
from real_code import fastapi_sdist
from test_regions import parsed_texts


def spellings(source: str, name: str) -> tuple[str, ...]:
    """The module-wide spellings; those scoped to a function are shown as `text@line`."""
    found = read_source_imports(source).located(SgRoot(source, "python").root())(name)
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


def test_imports_are_read_in_file_order_through_every_kind_of_block():
    source = ("def f():\n    import requests\nclass C:\n    def g(self):\n        from x import y as z\n"
              "match a:\n    case 1:\n        import m\ntry:\n    import ujson as json\nexcept ImportError:\n"
              "    import json\nfinally:\n    import q\n")
    assert [(b.local, b.qualified, b.function and b.function.name) for b in read_source_imports(source).bindings] == [
        ("requests", "requests", "f"), ("z", "x.y", "g"), ("m", "m", None),
        ("json", "ujson", None), ("json", "json", None), ("q", "q", None),
    ]


@pytest.mark.parametrize("source", [
    "import os\nfrom a import b as c\nfrom d import *\n",  # the module's own imports only
    "import os\ndef f():\n    import json\n",  # and one inside a function
    "import os\nif TYPE_CHECKING:\n    from a import B\n",
    "import os\nclass C:\n    from a import B\n",
    "import os  # the important one\ndef f():\n    pass\n",  # `import` in a comment
    "from importlib import import_module\n",  # `import` three times in one statement
    "import os\nx = 'import json'\n",
    # bodies read only where their lines write `import`
    "import os\ndef a():\n    return 1\nclass C:\n    @property\n    def m(self):\n        from x import y\n        return y\n",
    "import os\ndef a():\n    \"\"\"Not an import statement.\"\"\"\ndef b():\n    def inner():\n        import json\n",
    "import os\ndef a():\n    from x \\\n        import y\n    x = 1; import z\n",
    "import os\nmatch v:\n    case 1:\n        pass\n    case 2:\n        import m\n",
    "import os\ndef a():\n    return 1\ndef b(): import json\n",  # one-line bodies: each line counts
    "import os\ndef a(): import json\ndef b():\n    return 1\n",
    "import os\r\ndef a():\r\n    import json\r\n",  # `\r` in the text: every body is read
])
def test_imports_read_with_the_text_are_those_read_without_it(source):
    # With the text, a module that writes `import` only in its own import statements is
    # read from its top level alone; elsewhere, what the lines that write `import` hold.
    tree = ast.parse(source)
    with_text, without = read_imports(tree, source), read_imports(tree)
    assert (with_text.bindings, with_text.star_modules) == (without.bindings, without.star_modules)
    assert without.bindings


def test_a_body_whose_lines_never_write_import_is_not_read():
    source = "import os\ndef f():\n    return 1\ndef g():\n    import json\n"
    tree = ast.parse(source)

    class Unread(list):
        def __iter__(self):
            raise AssertionError("f's body was read")

    tree.body[1].body = Unread(tree.body[1].body)
    assert [binding.local for binding in read_imports(tree, source).bindings] == ["os", "json"]


_STATEMENTS = [
    "import os\n", "def f():\n", "    import json\n", "    x = 1\n", "    pass\n", "class C:\n",
    "x = 'import'\n", "# import\n", "if a:\n", "    def g(): import q\n", "\n", "from a import (b,\n    c)\n",
    "try:\n    import u\nexcept ImportError:\n    u = None\n", "async def h():\n    \"\"\"import\"\"\"\n",
]


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(_STATEMENTS), min_size=1, max_size=12).map("".join))
def test_the_imports_are_the_same_read_either_way(source):
    tree = python_tree(source)
    assume(tree is not None)
    with_text, without = read_imports(tree, source), read_imports(tree)
    assert (with_text.bindings, with_text.star_modules) == (without.bindings, without.star_modules)


def test_the_imports_of_real_modules_are_the_same_read_either_way(request):
    docs_src = fastapi_sdist(Path(request.config.cache.mkdir("real-code"))) / "docs_src"
    targeted = 0
    for path in sorted(docs_src.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        with_text, without = read_imports(tree, source), read_imports(tree)
        assert (with_text.bindings, with_text.star_modules) == (without.bindings, without.star_modules), path
        targeted += source.count("import") != sum(type(s) in (ast.Import, ast.ImportFrom) for s in tree.body)
    assert targeted >= 5  # modules that write `import` elsewhere than in their own import statements (8)


def test_a_long_elif_chain_is_read_without_recursion():
    # 900 `elif`s are 900 nested `if`s in Python's tree, which CPython accepts.
    source = "if a:\n    pass\n" + "".join(f"elif a == {i}:\n    import m{i}\n" for i in range(900))
    imports = read_imports(ast.parse(source))
    assert len(imports.bindings) == 900 and imports.bindings[-1].local == "m899"


def test_a_byte_order_mark_does_not_hide_the_imports():
    assert read_source_imports("\ufeffimport time\n").texts("time.sleep") == ("time.sleep",)


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


def holds_in(req, text: str, texts=None) -> bool:
    """Whether ``req`` holds for ``text``: with ``texts`` (the imports' spellings), as once the
    imports are read; without, from the words alone."""
    facts = SourceFacts(text)
    facts.texts = texts
    return holds(req, facts)


def test_requirement_of_a_rule():
    utils = {"in-async": {"inside": {"kind": "function_definition", "regex": "^async"}}}
    rule = {"any": [{"pattern": "$A.on_event($$$)"}, {"has": {"imported": "fastapi.FastAPI"}}], "matches": "in-async"}
    req = requirement(rule, utils)
    no_imports = lambda name: ()  # noqa: E731
    with_fastapi = lambda name: ("FastAPI",) if name == "fastapi.FastAPI" else ()  # noqa: E731
    assert holds_in(req, "@app.on_event('x')\nasync def f(): ...", no_imports)
    assert not holds_in(req, "@app.on_event('x')\ndef f(): ...", no_imports)  # the util's regex needs `async`
    assert not holds_in(req, "async def nothing_here(): ...", no_imports)
    assert holds_in(req, "from fastapi import FastAPI\napp = FastAPI()\nasync def f(): ...", with_fastapi)
    assert not holds_in(req, "imported but never used\nasync def f(): ...", with_fastapi)
    assert requirement({"not": {"pattern": "x.y"}}, {}) is True
    assert requirement({"any": []}, {}) is False


def test_identifiers_are_whole_words():
    req = requirement({"pattern": "$APP.patch($$$)", "has": {"pattern": "dict"}}, {})
    assert req == ("all", (("all_words", frozenset({"patch", "dict"})), ("method", frozenset({"patch"}))))
    assert holds_in(req, "@app.patch('/')\ndef f(d: dict): ...")
    assert not holds_in(req, "dispatch(predict)")  # `patch` and `dict` occur only inside other words
    assert holds_in(("word", "get"), "x = 1\ny = a.get(2)") and not holds_in(("word", "get"), "target = forget")


def test_imports_before_and_after_parsing():
    req = requirement({"imported": ["time.sleep", "builtins.open"]}, {})
    # From the words alone, an import may exist if its module's first segment and its last occur.
    assert holds_in(req, "import time\ntime.sleep(1)")
    assert holds_in(req, "from time import sleep as nap\nnap(1)")
    assert holds_in(req, "with open(p) as f: ...")  # a builtin needs no import
    assert not holds_in(req, "import asyncio\nasyncio.sleep(1)\nopen_file(p)")  # `time`, `open`: in other words
    assert not holds_in(req, "from asyncio import sleep\nsleep(1)")  # `time` never occurs
    # Once the imports are read, the file's own spellings decide.
    source = "import time\nfrom asyncio import sleep\nsleep(1)"
    assert holds_in(req, source)
    assert not holds_in(req, source, lambda name: ())  # neither name is imported
    assert holds_in(req, source, lambda name: ("time.sleep",) if name == "time.sleep" else ())


def test_a_call_of_an_imported_name_needs_the_name_called():
    req = requirement({"all": [{"kind": "call"}, {"has": {"field": "function", "imported": "sqlalchemy.orm.Session"}}]}, {})
    assert req == ("call", ("sqlalchemy.orm.Session",))
    # Elsewhere than a call's function, `imported:` needs the name used, not called.
    assert requirement({"has": {"field": "function", "imported": "a.b"}}, {}) == ("import", ("a.b",))
    spelled = lambda name: ("orm.Session",) if name == "sqlalchemy.orm.Session" else ()  # noqa: E731
    header = "from sqlalchemy import orm\n"
    assert not holds_in(req, header + "def f(db: orm.Session) -> orm.Session: ...\n", spelled)  # type hints only
    assert holds_in(req, header + "db = orm.Session(engine)\n", spelled)
    assert holds_in(req, header + "db = (orm  # the ORM\n      . Session \\\n  (engine))\n", spelled)
    # A comment full of `#` and spaces after the name is read in one pass, not exponentially many.
    assert not holds_in(req, header + "x = orm.Session" + "  #  " * 40 + "\n", spelled)


def test_an_alternative_that_names_a_calls_function_needs_it_called():
    body = {"kind": "call", "any": [
        {"has": {"field": "function", "imported": ["builtins.open"]}},
        {"has": {"field": "function", "has": {"field": "attribute", "pattern": "read_text"}}},
    ]}
    kind, alternatives = requirement(body, {})
    assert kind == "any" and ("call", ("builtins.open",)) in alternatives  # not only the word `open`
    assert any(("method", frozenset({"read_text"})) in alternative[1] for alternative in alternatives)  # `.read_text(`


@pytest.mark.parametrize(("code", "source", "written", "called", "line"), [
    # `open(` in a plain function, and `open` in a comment of the async one: no statement has both
    ("FAP203", "def load(path):\n    return open(path).read()\n\n\n"
               "async def handler(window):\n    # hold the events that open a window\n    return window\n",
     "    return window", "    return open(window)", 7),
    # `read` in an upload's description, and no `.read(` anywhere
    ("FAP404", "from fastapi import FastAPI, File, UploadFile\n\napp = FastAPI()\n\n\n@app.post(\"/files/\")\n"
               "async def create(file: UploadFile = File(description=\"A file read whole\")):\n"
               "    return {\"name\": file.filename}\n",
     "file.filename}", "await file.read()}", 8),
])
def test_a_statement_that_only_mentions_what_a_call_calls_is_not_parsed(rulebook, monkeypatch, code, source, written, called, line):
    parsed = parsed_texts(monkeypatch)
    rule = rulebook.rule(code)
    assert check_source(source, [rule], tree=ast.parse(source)) == []
    assert parsed == []
    calling = source.replace(written, called)
    assert [f.line for f in check_source(calling, [rule], tree=ast.parse(calling))] == [line]


# What `calls` scans for, as the regular expression it replaced: the spelling's parts with
# spaces, line continuations and comments (with their line break) around the dots, then `(`,
# and no identifier character before the spelling.
_TRIVIA_REGEX = r"(?:\s|\\\r?\n|#[^\n]*\n)*"
_PIECES = ["a", "b", "ab", "x", ".", "(", " ", "\t", "\u2003", "\n", "\r", "\\", "\\\n", "\\\r\n", "#", "# a(\n"]


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(
    text=st.lists(st.sampled_from(_PIECES), max_size=14).map("".join),
    spellings=st.lists(st.sampled_from(["a", "ab", "a.b", "a.b.a", "a.ab", "b.a.b", "ab.b"]), min_size=1, max_size=3),
)
def test_a_call_is_found_as_the_regular_expression_finds_it(text, spellings):
    def called(spelling: str) -> bool:
        dotted = (_TRIVIA_REGEX + r"\." + _TRIVIA_REGEX).join(map(re.escape, spelling.split(".")))
        return re.search(rf"(?<![A-Za-z0-9_]){dotted}{_TRIVIA_REGEX}\(", text) is not None

    # several spellings, some sharing their first parts, are looked for in one pass
    assert calls(text, *spellings) == any(map(called, spellings))


@pytest.mark.parametrize(("text", "spelling", "called"), [
    ("t.sleep(1)", "t.sleep", True),
    ("t . sleep (1)", "t.sleep", True),
    ("t\\\r\n.sleep\u2003(1)", "t.sleep", True),  # a continuation, a wide space
    ("t.sleep  # a comment\n  (1)", "t.sleep", True),
    ("t.sleep  # a comment, then the end (", "t.sleep", False),  # `(` inside the comment
    ("t.sleep\\ (1)", "t.sleep", False),  # a backslash that continues nothing
    ("my_t.sleep(1)", "t.sleep", False),  # another name that ends in `t`
    ("x = 1; my_t.sleep(1); t.sleep(2)", "t.sleep", True),  # the second occurrence
    ("x.t.sleep(1)", "t.sleep", True),  # an attribute `t`: kept, which is harmless
    ("t.sleeper(1); t.sleep", "t.sleep", False),
])
def test_a_call(text, spelling, called):
    assert calls(text, spelling) is called


# After `import sqlalchemy as sa`: the spellings of `sqlalchemy.text` share their first part.
_SA_TEXT = ("sa.text", "sa.sql.text", "sa.sql.expression.text")


@pytest.mark.parametrize(("text", "called"), [
    ("q = sa.sql.text('select 1')", True),  # the second of the second parts
    ("q = sa.sql.expression.text('select 1')", True),  # two spellings start `sa.sql`
    ("q = sa. text('select 1')", True),  # a space after the dot
    ("q = (sa  # the library\n     .text('select 1'))", True),  # a comment before the dot
    ("q = sa.Column(sa.String); sa.text('x')", True),  # after other attributes
    ("q = sa.Column(text); sa.sql.func.now()", False),
    ("q = visa.text('x'); usa.sql.text('y')", False),  # other names that end in `sa`
    ("q = sa.texts('x'); sa.sql.textual('y')", False),
])
def test_a_call_of_one_of_several_spellings(text, called):
    assert calls(text, *_SA_TEXT) is called


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
    parsed = parsed_texts(monkeypatch)
    unrelated = "import os\n\n\ndef add(a, b):\n    return a + b\n"
    related = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"
    # The words of time.sleep occur (`time` in a comment), but the imports say otherwise.
    other_sleep = "from asyncio import sleep\n\n\nasync def handler():  # no time to lose\n    await sleep(1)\n"
    assert check_source(unrelated, rulebook.rules) == []
    assert check_source(other_sleep, rulebook.rules) == []
    assert [f.code for f in check_source(related, rulebook.rules)] == ["FAP202"]
    assert parsed == [related]


@pytest.mark.parametrize(("code", "source"), [
    # FAP304 names its typing names with `imported:`: pydantic and Optional in a file are not enough
    ("FAP304", "from typing import Optional\nfrom pydantic import BaseModel\n\n\nclass Item(BaseModel):\n"
               "    name: Optional[str] = None\n"),
    # FAP203 needs `open(` or a call of `.open`, not the word in a comment
    ("FAP203", "import asyncio\n\n\nasync def handler(window):\n    # hold the events that open a window\n"
               "    return await asyncio.sleep(window)\n"),
    # FAP402 needs some formatting (an f-string prefix, `%`, `.format`, `+`) besides `.execute`
    ("FAP402", "import sqlalchemy as sa\n\n\nasync def read(session):\n"
               "    return await session.execute(sa.select(Item).where(Item.id == 1))\n"),
])
def test_rules_whose_prefilter_spares_common_modules_the_parse(rulebook, monkeypatch, code, source):
    parsed = parsed_texts(monkeypatch)
    rule = rulebook.rule(code)
    assert check_source(source, [rule]) == []
    assert parsed == []
    flagged = rule.examples.invalid[0]
    assert check_source(flagged, [rule]) and parsed == [flagged]  # the rule still runs where it applies


def test_imports_come_from_the_python_tree_flake8_passes(rulebook):
    related = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"
    assert [f.code for f in check_source(related, rulebook.rules, tree=ast.parse(related))] == ["FAP202"]
    # The tree is what the imports are read from: a tree without the import finds nothing.
    assert check_source(related, rulebook.rules, tree=ast.parse("")) == []


def test_a_file_python_cannot_parse_runs_only_rules_that_need_no_imports(rulebook):
    # Its imports are unknown, so a rule that needs them (FAP202, time.sleep) would be a guess;
    # FAP207 needs none. flake8 reports E999 for such a file and never calls the plugin.
    source = "import time\n\n\nasync def handler():\n    time.sleep(1)\n    await loop.run_in_executor(None, work)\n"
    assert [f.code for f in check_source(source, rulebook.rules)] == ["FAP202", "FAP207"]
    assert [f.code for f in check_source(source + "print(\n", rulebook.rules)] == ["FAP207"]


@pytest.mark.parametrize("text", [
    "x = a.get(1)  # héllo wörld\n", "0x1F 1if 2_000abc _private __dunder__ café_x\n", "\ud800 lone surrogate",
    "tab\tsep\fform\x00nul", "",
])
def test_words_are_those_the_word_pattern_finds(text):
    found = words_of(text)
    expected = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    assert expected <= found
    assert all(word in expected or word[0].isdigit() for word in found - expected)  # runs after digits


def test_a_rules_triggers_occur_wherever_its_requirement_holds(rulebook):
    checked = 0
    for source in sources_to_compare(rulebook):
        facts = SourceFacts(source)
        facts.texts = read_source_imports(source).texts
        for rule in rulebook.rules:
            if holds(rule.requirement, facts):
                assert all(not facts.words.isdisjoint(words) for words in rule.triggers), (rule.code, source)
                checked += 1
    assert checked > 100
    assert all(rule.triggers for rule in rulebook.rules)  # every default rule has some


def test_triggers_of_requirements():
    assert triggers(("all_words", frozenset({"def", "patch"}))) == ({"def"}, {"patch"})
    assert triggers(("all", (("word", "raise"), ("any_word", frozenset({"fastapi", "starlette"}))))) \
        == ({"raise"}, {"fastapi", "starlette"})
    assert triggers(("any", (("word", "a"), ("text", "@")))) == ()  # `@` is not a word: nothing is known
    # Of an alternative's sets, the rarest is taken: not the keyword `def`.
    assert triggers(("any", (("all_words", frozenset({"def", "patch"})), ("word", "put")))) == ({"patch", "put"},)
    assert triggers(("import", ("time.sleep", "os.system"))) == ({"sleep", "system"}, {"time", "os"})
    assert triggers(("import", ("time.sleep", "builtins.open"))) == ({"sleep", "open"},)  # a builtin needs no import
    assert triggers(False) == (frozenset(),) and triggers(True) == ()


def test_trigger_index_passes_the_items_whose_every_set_has_a_word():
    index = TriggerIndex([(({"a"}, {"b", "c"}), "ab|c"), ((), "always"), (({"d"},), "d"), ((frozenset(),), "never")])
    assert index.passing(frozenset({"a", "c"})) == ["ab|c", "always"]
    assert index.passing(frozenset({"a", "d"})) == ["always", "d"]
    assert index.passing(frozenset()) == ["always"]


def test_what_is_left_beyond_the_triggers():
    assert beyond_triggers(("all_words", frozenset({"a", "b"}))) is True
    assert beyond_triggers(("all", (("word", "a"), ("text", "@")))) == ("text", "@")
    assert beyond_triggers(("all", (("word", "a"), ("text", "@"), ("import", ("x.y",))))) \
        == ("all", (("text", "@"), ("import", ("x.y",))))
    assert beyond_triggers(("any", (("word", "a"), ("text", "@")))) == ("any", (("word", "a"), ("text", "@")))


@pytest.mark.parametrize(
    ("regex", "needs"),
    [
        ("^pool_size$", ("word", "pool_size")),
        ("^on_(startup|shutdown)$", ("any_word", frozenset({"on_startup", "on_shutdown"}))),
        ("^(dispose|close)$", ("any_word", frozenset({"dispose", "close"}))),
        ("contextmanager", ("text", "contextmanager")),  # not anchored: `my_contextmanager_x` matches
        ("^contextmanager", ("text", "contextmanager")),  # `contextmanagers` matches
        ("[Ee]ngine", ("text", "ngine")),  # the longest text every match holds
        ("^[rRuUfFbB]*['\"]sqlite", ("text", "sqlite")),
        ("fixture\\([^)]*autouse *= *True", ("text", "fixture")),  # its leading word
        ("(^|[.])(create|make)_?(app|application)$", ("text", "app")),
        ("(?i:ab)cd", ("text", "cd")),  # not what is read without case
        ("\\d+abc", ("text", "abc")),
        ("(?P<n>abc)d", ("text", "abcd")),
        ("[[:alpha:]]x", True),  # Rust's syntax, which Python reads otherwise
        ("\\pLabc", True),
        ("(?x)a b", True),
        ("(?i)engine", True),
        ("^async[ \\t]", ("word", "async")),
        ("^async[ \\t\\\\]", ("word", "async")),
        ("^(fastapi|starlette)([.]|$)", ("any_word", frozenset({"fastapi", "starlette"}))),
        ("^(fastapi|starlette)([.]|_x)", ("any", (("text", "fastapi"), ("text", "starlette")))),
        ("^(fastapi|starlette)([.]|$)?", ("any", (("text", "fastapi"), ("text", "starlette")))),
        ("^get\\(", ("word", "get")),
        ("^get[a-z]", ("text", "get")),
        ("^get[^.]", ("text", "get")),  # a negated class may match a word character
        ("^get.", ("text", "get")),
        ("a\\.b", ("text", "a")),
        ("^[+]$", ("text", "+")),  # a literal: its text
        ("\\.Depends$", ("text", ".Depends")),
        ("^[\\]]$", ("text", "]")),
        ("^[(),]$", True),  # a class of several characters
        ("^x*$", True),
        ("abc?", ("text", "ab")),
        ("^foo$|^bar", True),
        ("^(a|b)?c", ("text", "c")),
        ("^(a|b)?.", True),
    ],
)
def test_requirement_of_a_regex(regex, needs):
    assert requirement({"regex": regex}, {}) == needs


# Regexes made of the pieces rules use: literals, classes, anchors, quantifiers, groups,
# alternatives and case-blind groups.
_ATOMS = st.sampled_from(["a", "b", "ab", "x_y", "\\.", "\\(", "[ab]", "[^a]", ".", "\\d", "\\b", "^", "$",
                          "['\"]", "[ \\t]"])
_REGEXES = st.recursive(
    _ATOMS,
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=4).map("".join),
        st.tuples(inner, st.sampled_from(["?", "*", "+", "{2}", "{0,2}"])).map(lambda p: f"(?:{p[0]}){p[1]}"),
        st.tuples(inner, inner).map(lambda p: f"({p[0]}|{p[1]})"),
        inner.map(lambda r: f"(?i:{r})"),
        inner.map(lambda r: f"({r})"),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_what_a_regex_needs_is_in_every_text_it_matches(data):
    regex = data.draw(_REGEXES)
    needs = requirement({"regex": regex}, {})
    text = data.draw(st.from_regex(regex))
    assert re.search(regex, text)
    assert holds(needs, SourceFacts(text)), (regex, text, needs)




def without_prefilter(rules: list[Rule]) -> list[Rule]:
    """The rules run on every file, on the whole of it (no reach), every branch kept, each
    module search made from every candidate by ast-grep itself (no module facts)."""
    return [rule.replace(requirement=True, triggers=(), reach=None, branches=(), module_facts=()) for rule in rules]


def sources_to_compare(rulebook) -> list[str]:
    snippets = [s for r in rulebook.rules for s in r.examples.invalid + r.examples.valid]
    files = sorted(FIXTURES.glob("*.py")) + sorted(EXAMPLE_APP.glob("*.py"))
    return snippets + [p.read_text(encoding="utf-8") for p in files]


def test_prefilter_and_regions_change_no_finding(rulebook):
    unfiltered = without_prefilter(rulebook.rules)
    compared = 0
    for source in sources_to_compare(rulebook):
        tree = python_tree(source)  # as flake8 passes it: the regions come from it
        assert check_source(source, rulebook.rules, tree=tree) == check_source(source, unfiltered)
        compared += 1
    assert compared > 80


def test_prefilter_skips_rules_on_unrelated_code(rulebook):
    source = "import os\n\n\ndef add(a, b):\n    return a + b\n"
    imports = read_source_imports(source)
    runnable = [r.code for r in rulebook.rules if holds_in(r.requirement, source, imports.texts)]
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
    # ast-grep would check `all` and `not` before `has`: the keys become a list in written
    # order; mappings whose keys ast-grep checks in written order anyway stay mappings.
    assert in_written_order(rule) == {"all": [
        {"kind": "call"},
        {"has": {"field": "function", "stopBy": "end", "kind": "attribute", "regex": "^get$"}},
        {"not": {"inside": {"stopBy": "end", "kind": "module", "has": {"pattern": "import x"}}}},
        {"all": [{"pattern": "$A"}, {"matches": "u"}]},
    ]}
    assert in_written_order({"pattern": "x"}) == {"pattern": "x"}
    assert in_written_order({"has": {"kind": "call"}, "kind": "call"}) == {"all": [{"has": {"kind": "call"}}, {"kind": "call"}]}


def test_configs_kept_per_rule_stay_bounded_over_a_large_tree():
    # Imports inside functions make the spellings (with their line ranges) unique to a file.
    rule = Rule(code="FAP901", name="no-sleep", message="m", body={"imported": "time.sleep"},
                imported_names=("time.sleep",))
    for line in range(1000):
        config = rule.config_for(lambda name, line=line: (Spelling("sleep", (line, 0, line + 1, 0)),))
        assert config["rule"]["all"][0]["any"][0]["inside"]["range"]["start"]["line"] == line
    assert 0 < len(rule._configs) <= 256


@pytest.mark.parametrize("source", [
    "from pydantic import BaseModel\nfrom typing import Optional\n",  # pydantic, but none of its typing names
    "import pydantic\nx: pydantic.Optional[int]\n",  # a prefix bound: every pydantic name may be spelled
    "from os.path import *\nfrom time import sleep as nap\n",  # a star import; an alias
    "print = log\n",  # a builtin rebound
])
def test_spellable_names_are_those_a_file_can_spell(source):
    imports = read_source_imports(source)
    names = ("pydantic.Optional", "pydantic.typing.Optional", "os.path.join", "os.getcwd", "time.sleep",
             "builtins.print", "builtins.open", "fastapi.FastAPI")
    spelled = {name for name in names if imports.texts(name)}
    assert spelled <= set(imports.spellable(names))
    assert "fastapi.FastAPI" not in imports.spellable(names)  # nothing binds fastapi: never a candidate


def test_spellable_is_a_superset_of_spelled_names_on_every_example(rulebook):
    checked = 0
    for source in sources_to_compare(rulebook):
        imports = read_source_imports(source)
        if imports is None:
            continue
        for rule in rulebook.rules:
            names = tuple(rule.imported_names)
            assert {name for name in names if imports.texts(name)} <= set(imports.spellable(names)), rule.code
            checked += 1
    assert checked > 1000


METHOD_CALL = {"kind": "call", "has": {"field": "function", "all": [
    {"has": {"field": "attribute", "any": [{"pattern": "dict"}, {"pattern": "json"}]}},
    {"has": {"field": "object", "kind": "identifier"}},
]}}


def test_a_method_call_needs_a_dot_the_name_and_a_parenthesis():
    assert requirement(METHOD_CALL, {}) == ("all", (
        ("any_word", frozenset({"dict", "json"})), ("method", frozenset({"dict", "json"})),
    ))
    assert triggers(requirement(METHOD_CALL, {})) == (frozenset({"dict", "json"}),)


@pytest.mark.parametrize(("text", "holds_there"), [
    ("item.dict()", True),
    ("item . json (indent=2)", True),
    ("(item.\n    dict  # why\n  ())", True),
    ("user_dict = dict(db[name])", False),  # the word, but no method call of it
    ("fields: dict[str, int] = item.dict", False),  # the attribute, not called
    ("item.dictionary()", False),
])
def test_a_method_call_requirement_holds_only_where_the_method_is_called(text, holds_there):
    assert holds(requirement(METHOD_CALL, {}), SourceFacts(text)) is holds_there
    root = SgRoot(text, "python").root()
    assert bool(root.find_all({"rule": METHOD_CALL})) is holds_there  # ast-grep agrees


@pytest.mark.parametrize(("pattern", "methods"), [
    ("$FILE.read()", {"read"}),
    ("$FILE.file.read($$$)", {"read"}),
    ("$OBJ.overrides . pop ($KEY)", {"pop"}),
    ("$APP.on_event($$$).add($X)", {"on_event", "add"}),
    ("read($FILE)", set()),  # a call, not a method call
    ("$X.read", set()),  # the attribute, not called
    ("$X.$METHOD()", set()),  # any method
    ('print("x.read()")', set()),  # in a string literal
    ("$X.read()  # .close(", set()),  # a comment: not derived at all
])
def test_a_pattern_that_calls_a_method_needs_the_method_called(pattern, methods):
    needs = requirement({"pattern": pattern}, {})
    parts = () if needs is True else needs[1] if needs[0] == "all" else (needs,)
    assert {name for kind, names in parts if kind == "method" for name in names} == methods


@pytest.mark.parametrize(("text", "matched", "holds_there"), [
    ("data = upload.read()", True, True),
    ("data = (upload\n    . read\n    ())", True, True),
    ("data = upload.file.read()", True, True),  # `$FILE` is `upload.file`
    ('upload = File(description="A file read as bytes")', False, False),  # the word alone
    ("read(upload)", False, False),
])
def test_a_method_a_pattern_calls_is_where_ast_grep_matches(text, matched, holds_there):
    rule = {"pattern": "$FILE.read()"}
    assert bool(SgRoot(text, "python").root().find_all({"rule": rule})) is matched
    assert holds(requirement(rule, {}), SourceFacts(text)) is holds_there


def test_the_trigger_index_is_built_once_for_the_same_rules(rulebook, monkeypatch):
    built = []
    monkeypatch.setattr(engine, "TriggerIndex", lambda items: built.append(items) or TriggerIndex(items))
    monkeypatch.setattr(engine, "_last_indexed", [])
    selected = tuple(rulebook.rules)  # what the plugin passes for every file
    for _ in range(3):
        check_source("import time\n", selected)
    assert len(built) == 1
    # the same rules in a list: the same index; a list may be changed between two files,
    # and the index follows it
    rules = list(rulebook.rules)
    check_source("import time\n", rules)
    assert len(built) == 1
    rules.pop()
    check_source("import time\n", rules)
    assert len(built) == 2 and len(built[-1]) == len(rulebook.rules) - 1


def test_utils_that_use_each_other_are_derived_once_per_context(tmp_path, monkeypatch):
    """Six utils, each using all six: the prefilter's derivation once followed every path
    through them (tens of millions of steps, 40 s to load the rulebook). Each util's
    requirement is now derived once per set of utils above it, and shared by the rule's
    branches: the steps are counted, not timed. The requirement found is the same: the
    rule can match only where its own word, `execute`, occurs."""
    import flake8_fastapi_prod.requirements as requirements
    from flake8_fastapi_prod.effective import load_rulebooks

    names = [f"value{index}" for index in range(6)]
    utils = {
        name: {"any": [*({"kind": "call", "has": {"field": "arguments", "has": {"matches": other}}} for other in names),
                       {"kind": "parenthesized_expression", "has": {"matches": name}}, {"kind": "integer"}]}
        for name in names
    }
    rule = {"kind": "call", "has": {"field": "function", "pattern": "execute"},
            "not": {"has": {"field": "arguments", "has": {"matches": names[0]}}}}
    book = tmp_path / "team.yaml"
    book.write_text(json.dumps({"rules": [{"code": "FAP901", "name": "deep", "message": "deep", "rule": rule,
                                           "utils": utils}]}))  # JSON is YAML
    steps = 0
    derive = requirements.requirement

    def counted(*args, **kwargs):
        nonlocal steps
        steps += 1
        return derive(*args, **kwargs)

    monkeypatch.setattr(requirements, "requirement", counted)
    (loaded,) = load_rulebooks([book]).rules
    assert steps < 100_000  # 29,887 here; 74.5 million before
    assert loaded.triggers == (frozenset({"execute"}),)
