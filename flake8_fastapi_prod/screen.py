"""A cheap first search derived from a rule, run before the rule itself.

ast-grep-py compiles a rule again on every search, and a rule's regular expressions and
utilities cost most of that: a regex of a few alternatives takes 100k to 700k instructions
to build, a plain mapping ~15k. Most searches find nothing. So from a rule whose top level
is a conjunction, the *screen* keeps the conjuncts that are cheap to compile (no regex,
through the utilities they use, and no metavariable under a ``not``); every match of the
rule matches its screen, so a file in which the screen finds nothing holds no match of the
rule, and the rule is not compiled there.

A screen is made only when it can pay: it must narrow the nodes it visits by kind (a
``kind`` or ``pattern`` conjunct, or an ``any`` of them; a ``kind`` alone is in nearly every
file) and cost at most half of the whole rule to compile, by a rough count of what
they hold: its *share*. And it is kept only while it does pay: a screen is one more search
of the file, which pays when it spares at least its share of the rule's searches, so one
that spares fewer is dropped (:class:`Tally`). FAP402's screen (a call of ``.execute``
given an f-string, an operation, a ``.format()`` call or parentheses) costs a ninth of the
rule and spares nearly every search in Prefect's server, which calls ``.execute`` with
query objects; FAP302's spares every search on docs_src.

Findings never depend on screens: a rule finds the same with or without one
(``tests/test_screen.py`` checks it on every example; the reviewed findings on docs_src in
``tests/test_real_code.py`` are found with screens at work).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

from flake8_fastapi_prod.branches import used_utils
from flake8_fastapi_prod.shorthand import IMPORTED

_REGEX_WEIGHT = 12  # a regex costs about as much to build as a dozen plain mappings
_MAX_SHARE = 1 / 2  # a screen may cost at most this share of the whole config


class Screen(NamedTuple):
    config: dict[str, Any]  # an ast-grep config (with `imported:` until a file's spellings replace it)
    share: float  # what it costs to compile, as a share of the rule's config (roughly)


def screen(config: dict[str, Any]) -> Optional[Screen]:
    """The cheap first search for ``config`` (an ast-grep config: ``rule`` and ``utils``,
    ``imported:`` allowed), or None. Found once, when a rulebook is loaded: the engine
    substitutes a file's spellings for ``imported:`` in it as in the rule itself.

    A screen keeps branches that a file's config drops (:mod:`flake8_fastapi_prod.branches`):
    an ``any`` branch that cannot match adds no match, and ``not`` of one excludes nothing,
    so the screen still matches wherever the rule does."""
    utils = config.get("utils", {})
    conjuncts = _conjuncts(config["rule"])
    known: dict[str, bool] = {}  # which utils are cheap, found once for every conjunct
    cheap = [part for part in conjuncts if _is_cheap(part, utils, known)]
    if len(cheap) == len(conjuncts) or not any(_narrows_kind(part) for part in cheap):
        return None
    if len(cheap) == 1 and set(cheap[0]) == {"kind"}:
        return None
    rule = cheap[0] if len(cheap) == 1 else {"all": cheap}
    used = used_utils(rule, utils)
    first = {"rule": rule, **({"utils": used} if used else {})}
    share = _cost(first) / _cost(config)
    if share > _MAX_SHARE:
        return None
    return Screen(first, share)


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


def _is_cheap(node: Any, utils: dict[str, Any], known: Optional[dict[str, bool]] = None) -> bool:
    """No regex anywhere inside, nor ``nthChild`` (which counts siblings on every node it
    is tested on), through the utilities it uses; and no metavariable under a ``not``.

    A screen leaves out some of a rule's conjuncts, and with them the metavariables they
    would bind: a pattern with one of those then matches more, and a ``not`` of it fewer
    nodes, which could wrongly spare a search. ``known`` holds what is known of each
    utility (a utility being looked at counts as not cheap: it refers to itself)."""
    known = {} if known is None else known
    if isinstance(node, list):
        return all(_is_cheap(item, utils, known) for item in node)
    if not isinstance(node, dict):
        return True
    for key, value in node.items():
        if key in ("regex", "nthChild"):
            return False
        if key == "matches":
            if not isinstance(value, str) or value not in utils:
                return False
            if value not in known:
                known[value] = False
                known[value] = _is_cheap(utils[value], utils, known)
            if not known[value]:
                return False
        elif key == "not":
            # Screens are found when a rulebook is loaded, which imports requirements.py
            # anyway; a process whose rulebook comes from the cache never does.
            from flake8_fastapi_prod.requirements import metavariables

            if metavariables(value, utils) or not _is_cheap(value, utils, known):
                return False
        elif not _is_cheap(value, utils, known):
            return False
    return True


def _narrows_kind(part: Any) -> bool:
    """Whether ``part`` holds only nodes of some kinds, so that ast-grep tests no others."""
    if not isinstance(part, dict):
        return False
    if "kind" in part or IMPORTED in part:  # `imported:` becomes patterns of names
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


class Tally:
    """How often a rule's screen spared its search in this process."""

    __slots__ = ("tried", "spared")

    def __init__(self) -> None:
        self.tried = 0
        self.spared = 0

    def worth_trying(self, share: float) -> bool:
        """Whether a screen that costs ``share`` of its rule has spared at least that share
        of the searches (plus one: at first, and after a run of bad luck, it gets tries
        that cost about one search of the rule in all)."""
        return self.spared + 1 > self.tried * share

    def record(self, spared: bool) -> None:
        self.tried += 1
        self.spared += spared
