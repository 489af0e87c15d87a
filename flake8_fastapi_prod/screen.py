"""A cheap first search derived from a rule, run before the rule itself.

ast-grep-py compiles a rule again on every search, and a rule's regular expressions and
utilities cost most of that: a regex of a few alternatives takes 100k to 700k instructions
to build, a plain mapping ~15k. Most searches find nothing. So from a rule whose top level
is a conjunction, the *screen* keeps the conjuncts that are cheap to compile (no regex, no
utility, no ``not``); every match of the rule matches its screen, so a file in which the
screen finds nothing holds no match of the rule, and the rule is not compiled there.

A screen is made only when it can pay: it must narrow the nodes it visits by kind (a
``kind`` or ``pattern`` conjunct, or an ``any`` of them; a ``kind`` alone is in nearly every
file) and cost at most an eighth of the whole rule to compile, by a rough count of what
they hold. And it is kept only while it does pay: a screen is one more search of the file,
so one that seldom finds nothing is dropped after a few searches (:class:`Tally`). FAP402's
screen, a call of ``.execute``, finds one in nearly every module the prefilter lets through
(the prefilter has already seen the module call it); FAP403's, a parameter annotated with a
type that names ``dict``, ``Dict`` or ``Any``, spares half of its searches on docs_src.

Findings never depend on screens: a rule finds the same with or without one
(``tests/test_screen.py`` checks it on every example; the reviewed findings on docs_src in
``tests/test_real_code.py`` are found with screens at work).
"""

from __future__ import annotations

from typing import Any, Optional

_REGEX_WEIGHT = 12  # a regex costs about as much to build as a dozen plain mappings
_PAYS = 8  # the whole config must cost at least this many times the screen


def screen(config: dict[str, Any]) -> Optional[dict[str, Any]]:
    """The cheap first search for ``config`` (a plain ast-grep config), or None."""
    conjuncts = _conjuncts(config["rule"])
    cheap = [part for part in conjuncts if _is_cheap(part)]
    if len(cheap) == len(conjuncts) or not any(_narrows_kind(part) for part in cheap):
        return None
    if len(cheap) == 1 and set(cheap[0]) == {"kind"}:
        return None
    if _PAYS * _cost(cheap) > _cost(config):
        return None
    return {"rule": cheap[0] if len(cheap) == 1 else {"all": cheap}}


def _conjuncts(rule: Any) -> list[Any]:
    """The parts a node must all match: the keys of a mapping and the items of its `all`s."""
    if not isinstance(rule, dict):
        return [rule]
    parts: list[Any] = []
    for key, value in rule.items():
        if key == "all" and isinstance(value, list):
            for item in value:
                parts += _conjuncts(item)
        else:
            parts.append({key: value})
    return parts


def _is_cheap(node: Any) -> bool:
    """No regex, utility or ``not`` anywhere inside (nor ``nthChild``, which counts siblings
    on every node it is tested on)."""
    if isinstance(node, list):
        return all(_is_cheap(item) for item in node)
    if not isinstance(node, dict):
        return True
    for key, value in node.items():
        if key in ("regex", "matches", "not", "nthChild"):
            return False
        if not _is_cheap(value):
            return False
    return True


def _narrows_kind(part: Any) -> bool:
    """Whether ``part`` holds only nodes of some kinds, so that ast-grep tests no others."""
    if not isinstance(part, dict):
        return False
    if "kind" in part:
        return True
    if "pattern" in part:
        return not (isinstance(part["pattern"], str) and _is_metavariable(part["pattern"]))
    if "any" in part and isinstance(part["any"], list) and part["any"]:
        return all(_narrows_kind(item) for item in part["any"])
    if "all" in part and isinstance(part["all"], list):
        return any(_narrows_kind(item) for item in part["all"])
    return False


def _is_metavariable(pattern: str) -> bool:
    """`$X` or `$$$ARGS`: a pattern that matches any node. (No regex: this module is
    imported in every flake8 process, and compiling one costs more than this test ever will.)"""
    text = pattern.strip()
    name = text.lstrip("$")
    return len(text) - len(name) in (1, 3) and name.isidentifier() and name.upper() == name


def _cost(node: Any) -> int:
    """A rough count of what compiling ``node`` costs: its mappings, patterns and regexes."""
    if isinstance(node, list):
        return sum(_cost(item) for item in node)
    if not isinstance(node, dict):
        return 0
    total = 1
    for key, value in node.items():
        if key == "regex":
            total += _REGEX_WEIGHT
        elif key == "pattern":
            total += 1
        else:
            total += _cost(value)
    return total


_TRIAL = 8  # searches a screen always gets
_KEEP = 8  # then it is kept while it spares at least one search in this many


class Tally:
    """How often a rule's screen spared its search in this process."""

    __slots__ = ("tried", "spared")

    def __init__(self) -> None:
        self.tried = 0
        self.spared = 0

    def worth_trying(self) -> bool:
        return self.tried < _TRIAL or self.spared * _KEEP >= self.tried

    def record(self, spared: bool) -> None:
        self.tried += 1
        self.spared += spared
