"""Screens: the cheap first search the engine derives from a rule (flake8_fastapi_prod.screen)."""

from __future__ import annotations

import pytest

from ast_grep_py import SgRoot
from flake8_fastapi_prod import screen as screens
from flake8_fastapi_prod.engine import check_source
from flake8_fastapi_prod.imports import python_tree, read_source_imports
from flake8_fastapi_prod.screen import Tally, screen
from test_imports_and_prefilter import sources_to_compare

EXPENSIVE = {"regex": "(?:^|[.])(?:Depends|Security|Query|Path|Header|Cookie)$"}  # ~670k instructions to build


def config(rule: dict, **utils: dict) -> dict:
    return {"rule": rule, **({"utils": utils} if utils else {})}


def test_a_screen_keeps_the_conjuncts_that_are_cheap_to_compile():
    body = {"all": [
        {"kind": "call", "has": {"field": "function", "pattern": "execute"}},
        {"has": {"field": "arguments", **EXPENSIVE}},
        {"inside": {"kind": "decorated_definition", "stopBy": "end", **EXPENSIVE}},
        {"not": {"has": {"kind": "string"}}},
        {"matches": "in-route"},  # a cheap util comes with the screen
        {"matches": "dependency"},  # an expensive one does not
        {"not": {"has": {"pattern": "$ARG.strip()"}}},  # `$ARG` may be bound by a conjunct left out
        {"not": {"matches": "named-arg"}},  # the same, through a util
    ]}
    utils = {"in-route": {"kind": "function_definition"}, "dependency": EXPENSIVE, "named-arg": {"pattern": "$NAME"}}
    first = screen(config(body, **utils))
    assert first.config == {
        "rule": {"all": [
            {"kind": "call"}, {"has": {"field": "function", "pattern": "execute"}},
            {"not": {"has": {"kind": "string"}}}, {"matches": "in-route"},
        ]},
        "utils": {"in-route": {"kind": "function_definition"}},
    }
    assert 0 < first.share <= screens._MAX_SHARE


def test_a_recursive_util_is_left_out_of_a_screen():
    # FAP402's `+` chains are such utils; following them would never end
    utils = {"chain": {"any": [{"kind": "identifier"}, {"kind": "binary_operator", "has": {"matches": "chain"}}]}}
    body = {"all": [{"kind": "call", "has": {"field": "function", "pattern": "execute"}}, {"has": {"matches": "chain"}}, EXPENSIVE]}
    assert screen(config(body, **utils)).config == {"rule": {"all": [
        {"kind": "call"}, {"has": {"field": "function", "pattern": "execute"}},
    ]}}


@pytest.mark.parametrize("body", [
    {"kind": "call", "has": {"field": "function", "pattern": "execute"}},  # all of it is cheap: no screen needed
    {"all": [{"kind": "call"}, EXPENSIVE]},  # a kind alone is in nearly every file
    {"all": [{"has": {"kind": "call"}}, EXPENSIVE]},  # visits every node
    {"all": [{"pattern": "$X"}, {"has": {"kind": "call"}}, EXPENSIVE]},  # `$X` is any node
    # saves too little: the cheap part costs more than half of the rule
    {"all": [{"kind": "call", "all": [{"has": {"kind": kind}} for kind in ("identifier", "string", "integer", "float", "list", "tuple", "dictionary", "set")]}, {"regex": "^x"}]},
    {"any": [{"kind": "call", "has": {"kind": "identifier"}}, EXPENSIVE]},  # not a conjunction
])
def test_no_screen_where_it_cannot_pay(body):
    assert screen(config(body)) is None


def test_a_screen_is_found_once_and_takes_each_files_spellings(rulebook):
    # FAP201 (a blocking HTTP call in async code) screens for a call of the `imported:` names
    rule = rulebook.rule("FAP201")
    assert rule.screen is not None and "imported" in repr(rule.screen[0])
    source = "import requests as rq\nasync def f():\n    return rq.get(URL)\n"
    imports = read_source_imports(source)
    root = SgRoot(source, "python").root()
    _, first = rule.configs_for(imports.located(root))
    assert "rq.get" in repr(first.config) and "imported" not in repr(first.config)
    assert root.find(first.config) is not None


def test_every_match_of_a_rule_matches_its_screen(rulebook):
    screened = 0
    for source in sources_to_compare(rulebook):
        root = SgRoot(source, "python").root()
        for rule in rulebook.rules:
            full, first = rule.configs_for(lambda name: ())
            if first is not None and root.find_all(full):
                assert root.find(first.config) is not None, (rule.code, source)
                screened += 1
    assert screened > 10


def test_screens_change_no_finding(rulebook, monkeypatch):
    spared = []
    record = Tally.record
    monkeypatch.setattr(Tally, "record", lambda self, was_spared: (spared.append(was_spared), record(self, was_spared)))
    for source in sources_to_compare(rulebook):
        tree = python_tree(source)
        monkeypatch.setattr(Tally, "worth_trying", lambda self, share: True)
        with_screens = check_source(source, rulebook.rules, tree=tree)
        monkeypatch.setattr(Tally, "worth_trying", lambda self, share: False)
        assert check_source(source, rulebook.rules, tree=tree) == with_screens
    assert any(spared) and not all(spared)  # the screens ran, and spared some searches but not all


def test_a_screen_that_seldom_spares_a_search_is_dropped():
    # a screen costing an eighth of its rule gets eight tries: about one search of the rule
    tally = Tally()
    for _ in range(8):
        assert tally.worth_trying(1 / 8)
        tally.record(False)
    assert not tally.worth_trying(1 / 8)
    # one costing a quarter, four
    tally = Tally()
    for _ in range(4):
        tally.record(False)
    assert not tally.worth_trying(1 / 4)


@pytest.mark.parametrize("share", [1 / 8, 1 / 4])
def test_a_screen_that_spares_its_share_of_the_searches_is_kept(share):
    tally = Tally()
    every = round(1 / share)
    for tried in range(10 * every):
        tally.record(tried % every == 0)
        assert tally.worth_trying(share)
    # sparing fewer than its share, it goes
    for _ in range(10 * every):
        tally.record(False)
    assert not tally.worth_trying(share)
