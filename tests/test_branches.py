"""The branches of a rule a file cannot use are dropped from what ast-grep compiles and runs
(flake8_fastapi_prod.branches), with every finding unchanged."""

from __future__ import annotations

import ast

from flake8_fastapi_prod.branches import without
from flake8_fastapi_prod.engine import check_source
from flake8_fastapi_prod.model import Rule
from flake8_fastapi_prod.reach import reach
from flake8_fastapi_prod.requirements import droppable_branches, requirement
from flake8_fastapi_prod.shorthand import in_written_order

# A call of `connect`, unless a module-level constant names SQLite, or it passes `timeout=`.
BODY = {
    "kind": "call",
    "has": {"field": "function", "pattern": "connect"},
    "not": {"any": [
        {"has": {"field": "arguments", "has": {"kind": "keyword_argument", "has": {"field": "name", "pattern": "timeout"}}}},
        {"inside": {"kind": "module", "stopBy": "end", "has": {"kind": "expression_statement", "regex": "sqlite"}}},
    ]},
}


def rule_of(body: dict, constraints: dict | None = None) -> Rule:
    body = in_written_order(body)
    return Rule(code="FAP901", name="r", message="m", body=body, constraints=constraints or {},
                requirement=requirement(body, {}), reach=reach(body, {}, constraints or {}),
                branches=droppable_branches(body, {}, constraints or {}))


def searched_configs(monkeypatch) -> list[dict]:
    configs: list[dict] = []
    real = Rule.configs_for
    monkeypatch.setattr(Rule, "configs_for", lambda self, *args: configs.append(real(self, *args)[0]) or real(self, *args))
    return configs


def lines(source: str, rule: Rule) -> list[int]:
    return [f.line for f in check_source(source, [rule], tree=ast.parse(source))]


def test_an_any_branch_the_file_cannot_use_is_not_searched(monkeypatch):
    rule = rule_of(BODY)
    configs = searched_configs(monkeypatch)
    assert lines("X = 1\nconnect(URL)\nconnect(URL, timeout=3)\n", rule) == [2]
    assert "sqlite" not in repr(configs[-1]) and "timeout" in repr(configs[-1])
    # where the file names SQLite, the branch is searched, and exempts the call
    assert lines("X = 'sqlite://'\nconnect(X)\n", rule) == []
    assert "sqlite" in repr(configs[-1])


def test_a_not_the_file_cannot_use_is_not_searched(monkeypatch):
    rule = rule_of({**BODY, "not": {"has": {"stopBy": "end", "pattern": "legacy_pool"}}})
    configs = searched_configs(monkeypatch)
    assert lines("connect(URL)\n", rule) == [1]
    assert "not" not in configs[-1]["rule"]
    assert lines("connect(legacy_pool)\n", rule) == []
    assert "legacy_pool" in repr(configs[-1])


def test_an_any_keeps_a_branch_when_the_file_can_use_none():
    body = {"any": [{"pattern": "alpha()"}, {"pattern": "beta()"}]}
    rule = rule_of(body)
    assert [path for path, _ in rule.branches] == [("rule", "any", 0), ("rule", "any", 1)]
    config, _ = rule.configs_for(lambda name: (), frozenset(path for path, _ in rule.branches))
    assert config["rule"] == body  # all dropped would be an invalid `any: []`


def test_a_not_that_is_all_its_rule_tests_is_kept():
    # without its `not`, `has: {field: arguments}` would be a rule that matches nothing by itself
    rule = rule_of({"kind": "call", "has": {"field": "arguments", "not": {"has": {"pattern": "legacy_pool"}}}})
    assert rule.branches == ()
    assert lines("connect(url)\n", rule) == [1]


def test_a_branch_naming_a_constrained_metavariable_is_kept():
    body = {"kind": "call", "any": [{"pattern": "alpha($A)"}, {"pattern": "beta($B)"}]}
    rule = rule_of(body, constraints={"A": {"regex": "^x"}})
    assert [path for path, _ in rule.branches] == [("rule", "any", 1)]
    # named in a util the branch uses
    body = in_written_order({"kind": "call", "any": [{"matches": "alpha-call"}, {"pattern": "beta($B)"}]})
    utils = {"alpha-call": {"pattern": "alpha($A)"}}
    assert [path for path, _ in droppable_branches(body, utils, {"A": {"regex": "^x"}})] == [("rule", "any", 1)]


def test_a_100000_line_file_of_engine_calls_does_not_search_the_module_from_each(rulebook, monkeypatch):
    # FAP103's exemption for a module-level SQLite URL searches the module from every
    # engine call: in a file without SQLite it is dropped.
    source = "from sqlalchemy import create_engine\n" + "".join(
        f"x{i} = create_engine(url)\n" if i % 100 == 0 else f"x{i} = {i}\n" for i in range(100_000))
    configs = searched_configs(monkeypatch)
    fap103 = rulebook.rule("FAP103")
    assert len(lines(source, fap103)) == 1000
    searched = repr(configs[-1])
    assert "'module'" not in searched and "sqlite" not in searched and "poolclass" not in searched
    assert "dictionary_splat" in searched  # `**kwargs` may carry the pool settings in any file


def test_only_the_way_to_a_dropped_branch_is_copied():
    # Building a file's config copies what it changes: the rest of the rule is shared,
    # not copied again for every file that drops a branch.
    body = {"kind": "call", "has": {"field": "arguments", "pattern": "($$$)"},
            "all": [{"any": [{"pattern": "alpha()"}, {"pattern": "beta()"}]}, {"not": {"pattern": "gamma()"}}]}
    dropped = frozenset({("rule", "all", 0, "any", 1)})
    kept = without(body, dropped, ("rule",))
    assert kept == {**body, "all": [{"any": [{"pattern": "alpha()"}]}, {"not": {"pattern": "gamma()"}}]}
    assert kept["has"] is body["has"] and kept["all"][1] is body["all"][1]
    assert body["all"][0]["any"] == [{"pattern": "alpha()"}, {"pattern": "beta()"}]  # the rule itself is unchanged
    assert without(body, dropped, ("utils", "other")) is body  # nothing dropped below it
