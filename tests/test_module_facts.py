"""Module facts: a rule's searches of the whole module, asked once per file by the engine
(flake8_fastapi_prod.module_facts), with every finding unchanged."""

from __future__ import annotations

import ast

import pytest

from flake8_fastapi_prod import engine
from flake8_fastapi_prod.engine import check_source
from flake8_fastapi_prod.model import Rule
from flake8_fastapi_prod.module_facts import module_facts
from flake8_fastapi_prod.shorthand import in_written_order

# A call of `connect`, unless the module imports `mocks` anywhere (a file-wide exemption).
MOCKED = {"inside": {"kind": "module", "stopBy": "end", "has": {"stopBy": "end", "pattern": "import mocks"}}}
CONNECT = {"kind": "call", "has": {"field": "function", "pattern": "connect"}}


def facts_of(body: dict, constraints: dict | None = None) -> tuple:
    return module_facts(in_written_order(body), {}, constraints or {})


def rule_of(body: dict) -> Rule:
    body = in_written_order(body)
    return Rule(code="FAP901", name="r", message="m", body=body, module_facts=facts_of(body))


def found(source: str, rule: Rule) -> list[tuple[int, int]]:
    return [(f.line, f.column) for f in check_source(source, [rule], tree=ast.parse(source))]


def test_a_module_search_beside_the_node_is_a_fact():
    (fact,) = facts_of({"kind": "call", "not": MOCKED, "has": CONNECT["has"]})  # in the order ast-grep tests them
    # without the module's answer, the `not` goes; with it, the whole rule
    assert fact == (("rule", "not"), MOCKED["inside"]["has"], ())


def test_a_fact_in_an_any_item_takes_only_that_item():
    body = {"any": [{**CONNECT, "not": MOCKED}, {"kind": "call", "has": {"field": "function", "pattern": "close"}}]}
    (fact,) = facts_of(body)  # the `not`, written last, becomes the last of the item's `all`
    assert fact[0] == ("rule", "any", 0, "all", 2) and fact[2] == ("rule", "any", 0)


def test_an_all_item_that_is_the_not_alone_is_a_fact():
    (fact,) = facts_of({"all": [CONNECT, {"not": MOCKED}]})
    assert fact[0] == ("rule", "all", 1) and fact[2] == ()


def test_a_search_whose_metavariables_are_not_captured_is_a_fact():
    # `$_APP` matches any node and binds nothing, so it cannot depend on the candidate
    search = {"stopBy": "end", "pattern": "$_APP.dependency_overrides.clear()"}
    (fact,) = facts_of({"kind": "call", "not": {"inside": {"kind": "module", "stopBy": "end", "has": search}},
                        "has": CONNECT["has"]})
    assert fact == (("rule", "not"), search, ())


def test_fap503_on_a_thousand_tests_that_set_an_override(rulebook):
    # its search for a fixture that clears the overrides was made from each of them: ~1 s
    tests = "".join(f"def test_{i}():\n    app.dependency_overrides[get_db] = lambda: {i}\n\n\n" for i in range(1000))
    source = "import pytest\nfrom main import app, get_db\n\n\n" + tests
    assert len(check_source(source, [rulebook.rule("FAP503")], tree=ast.parse(source))) == 1000
    cleared = "@pytest.fixture(autouse=True)\ndef clean():\n    yield\n    app.dependency_overrides.clear()\n\n\n"
    assert check_source(source + cleared, [rulebook.rule("FAP503")]) == []


def test_an_item_naming_a_constrained_metavariable_keeps_its_not_where_the_module_holds_it():
    # ast-grep checks that each constrained metavariable occurs in the rule: the item stays
    body = {"any": [{"kind": "call", "not": MOCKED, "has": {"field": "function", "pattern": "$F"}}, CONNECT]}
    (fact,) = facts_of(body, constraints={"F": {"regex": "^open"}})
    assert fact[0] == ("rule", "any", 0, "not") and fact[2] is None


@pytest.mark.parametrize("body", [
    # the search names a metavariable: its answer depends on the candidate
    {**CONNECT, "has": {"field": "arguments", "has": {"pattern": "$URL"}},
     "not": {"inside": {"kind": "module", "stopBy": "end", "has": {"stopBy": "end", "pattern": "$URL = 1"}}}},
    # not from the rule's own node: under a `has`, it asks about another node
    {"kind": "call", "has": {"field": "arguments", "not": MOCKED}},
    # the climb stops at a function: not the module
    {**CONNECT, "not": {"inside": {"kind": "module", "stopBy": {"kind": "function_definition"}, "has": {"pattern": "x"}}}},
    # the rule's node may be the module itself, which is inside nothing
    {"pattern": "$M", "not": MOCKED},
])
def test_other_shapes_are_not_facts(body):
    assert facts_of(body) == ()


SOURCE = "from db import connect\n\n\ndef f():\n    connect()\n    connect()\n"


@pytest.mark.parametrize("source", [SOURCE, "import mocks\n" + SOURCE, SOURCE + "\n\ndef g():\n    import mocks\n"])
@pytest.mark.parametrize("body", [
    {**CONNECT, "not": MOCKED},
    {"all": [CONNECT, {"not": MOCKED}]},
    {"any": [{**CONNECT, "not": MOCKED}, {"kind": "call", "has": {"field": "function", "pattern": "close"}}]},
])
def test_a_fact_asked_once_finds_what_the_search_from_every_candidate_finds(body, source):
    with_facts = rule_of(body)
    assert with_facts.module_facts
    assert found(source, with_facts) == found(source, with_facts.replace(module_facts=()))


def test_a_fact_is_asked_once_and_only_where_the_rule_has_candidates(monkeypatch):
    asked = []
    real = engine.decide
    monkeypatch.setattr(engine, "decide", lambda *args: asked.append(1) or real(*args))
    rule = rule_of({**CONNECT, "not": MOCKED})
    assert found("from db import close\n\n\ndef f():\n    close()\n", rule) == [] and asked == []
    calls = "".join(f"connect({i})\n" for i in range(300))
    assert len(found("from db import connect\n" + calls, rule)) == 300 and len(asked) == 1
    assert found("from db import connect\nimport mocks\n" + calls, rule) == [] and len(asked) == 2


def test_the_default_rules_that_exempt_a_file_by_a_module_search_have_facts(rulebook):
    facts = {rule.code: rule.module_facts for rule in rulebook.rules if rule.module_facts}
    # FAP303: a file that imports pydantic.v1, one whose classes define their own `from_orm`;
    # FAP503: a teardown or autouse fixture that clears `$_A.dependency_overrides` (`$_A` is
    # not captured); FAP504: a module using anyio's plugin; FAP505: a module-level `pytestmark`
    assert sorted(facts) == ["FAP303", "FAP503", "FAP504", "FAP505"] and len(facts["FAP303"]) == 2
    # the pydantic.v1 import rules out the whole rule: it is asked before the own `from_orm`
    assert [dead for _, _, dead in facts["FAP303"]] == [(), ("rule", "all", 0, "any", 3)]


def test_fap303_on_thousands_of_calls_in_one_module(rulebook):
    # 4,000 `Model.parse_obj(d)` at the top level: FAP303 searched the module for a
    # `pydantic.v1` import from each of them (6.3 s); its module facts ask once (~40 ms, see
    # benchmarks/README.md), and find each call, or none where pydantic.v1 is imported.
    calls = "".join(f"v{i} = Model.parse_obj(d)\n" for i in range(4000))
    source = "from pydantic import BaseModel\nclass Model(BaseModel):\n    x: int\n" + calls
    assert len(check_source(source, [rulebook.rule("FAP303")], tree=ast.parse(source))) == 4000
    assert check_source("from pydantic.v1 import BaseModel\n" + calls, [rulebook.rule("FAP303")]) == []


def test_a_screen_leaves_the_module_facts_to_the_engine(rulebook):
    # FAP504's screen (its cheap conjuncts, run before it) held the search for anyio's
    # plugin, made from every candidate: 3.0 s on a module of 2,000 async fixtures.
    fap504 = rulebook.rule("FAP504")
    assert fap504.module_facts and fap504.screen is not None
    assert "anyio_backend" not in repr(fap504.screen)
    fixtures = "".join(f"@pytest.fixture\nasync def f{i}():\n    yield {i}\n\n\n" for i in range(2000))
    assert len(check_source("import pytest\n\n\n" + fixtures, [fap504])) == 2000
    assert check_source("import pytest\n\n\ndef anyio_backend():\n    return 'asyncio'\n\n\n" + fixtures, [fap504]) == []
