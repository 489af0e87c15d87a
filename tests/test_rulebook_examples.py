"""Every example in the default rulebook runs through the real engine.

Adding a rule with examples adds its tests here without touching Python.
"""

from __future__ import annotations

import pytest

from flake8_fastapi_prod.expectations import (
    fix_example_problem,
    invalid_example_problem,
    parse_expectations,
    valid_example_problem,
)
from flake8_fastapi_prod.effective import load_rulebooks
from flake8_fastapi_prod.model import default_rulebook_path

RULES = load_rulebooks([default_rulebook_path()]).rules
INVALID = [pytest.param(r, s, i, id=f"{r.code}-invalid-{i}") for r in RULES for i, s in enumerate(r.examples.invalid, 1)]
FIXES = [pytest.param(r, p, i, id=f"{r.code}-fix-{i}") for r in RULES for i, p in enumerate(r.examples.fixes, 1)]
VALID = [pytest.param(r, s, i, id=f"{r.code}-valid-{i}") for r in RULES for i, s in enumerate(r.examples.valid, 1)]

# Every code of the catalogue (../shared/CATALOGUE.md).
CATALOGUE_CODES = (
    {f"FAP10{n}" for n in range(1, 7)} | {f"FAP20{n}" for n in range(1, 8)} | {f"FAP30{n}" for n in range(1, 5)}
    | {f"FAP40{n}" for n in range(1, 7)} | {f"FAP50{n}" for n in range(1, 7)}
)


@pytest.mark.parametrize(("rule", "snippet", "index"), INVALID)
def test_invalid_example_is_flagged_exactly_on_marked_lines(rule, snippet, index):
    assert invalid_example_problem(rule, snippet, index) is None


@pytest.mark.parametrize(("rule", "snippet", "index"), VALID)
def test_valid_example_is_left_alone(rule, snippet, index):
    assert valid_example_problem(rule, snippet, index) is None


@pytest.mark.parametrize(("rule", "pair", "index"), FIXES)
def test_fix_turns_before_into_after_once_and_for_all(rule, pair, index):
    assert fix_example_problem(rule, pair, index) is None


@pytest.mark.parametrize("rule", [r for r in RULES if r.fix], ids=lambda r: r.code)
def test_every_fix_has_examples(rule):
    assert rule.examples.fixes


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_rule_is_documented_and_has_both_kinds_of_example(rule):
    assert rule.note.strip(), f"{rule.code} has no note"
    assert rule.examples.invalid and rule.examples.valid, f"{rule.code} needs invalid and valid examples"
    assert any(e.column for s in rule.examples.invalid for e in parse_expectations(s)), (
        f"{rule.code}: at least one invalid example should pin the column"
    )


def test_rulebook_ships_exactly_the_catalogue_codes():
    assert {rule.code for rule in RULES} == CATALOGUE_CODES


def test_names_are_unique_kebab_case():
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))


def test_off_by_default_rules():
    assert {rule.code for rule in RULES if not rule.enabled} == {"FAP207", "FAP405"}
