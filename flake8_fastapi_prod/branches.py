"""The branches of a rule that a file cannot use, and the rule without them.

ast-grep-py compiles a rule on every search, regexes and patterns of every branch included,
and a module-wide search in one branch is run from every candidate. But a branch of an
``any``, or the rule under a ``not``, can match only in a file where its own requirement
(:func:`requirements.requirement <flake8_fastapi_prod.requirements.requirement>`) holds. In
a file without a SQLite URL, FAP103's exemption for a module-level constant holding one
cannot apply; dropped, it is neither compiled nor searched for from each engine call.

Dropping such a branch changes no finding: an ``any`` branch that matches nothing adds no
match (and binds no metavariable), and ``not`` of a rule that matches nothing excludes
nothing. The branches are found when the rulebook is loaded; each file then drops those
whose requirement fails on its words and imports. (The branches are found by
:func:`requirements.droppable_branches <flake8_fastapi_prod.requirements.droppable_branches>`,
which a process whose rulebook comes from the cache does not import.)
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flake8_fastapi_prod.prefilter import Requirement, SourceFacts, holds

# Where a branch is: ("rule", ...keys and indices) or ("utils", name, ...); with what a file
# needs for it to match (found by requirements.droppable_branches when a rulebook is loaded).
Path = tuple
Branch = tuple[Path, Requirement]


def unusable(branches: tuple[Branch, ...], facts: SourceFacts) -> frozenset[Path]:
    """The branches whose requirement fails in the file ``facts`` describes."""
    return frozenset(path for path, needs in branches if not holds(needs, facts))


def without(node: Any, dropped: frozenset[Path], where: Path) -> Any:
    """``node`` (found at ``where``) without the ``dropped`` branches; an ``any`` keeps at
    least one branch (when none can match, dropping them all would leave an invalid rule,
    and the prefilter rarely lets such a file through). Only the mappings and lists on the
    way to a dropped branch are copied: the rest is shared with ``node``, and the caller
    (``shorthand.expand``) copies it anyway."""
    above = _above(dropped)
    return _without(node, dropped, above, where) if where in above else node


@lru_cache(maxsize=64)
def _above(dropped: frozenset[Path]) -> frozenset[Path]:
    """The paths of the mappings and lists that hold a dropped branch (a rule's body and
    each of its utils ask with the same branches)."""
    return frozenset(path[:end] for path in dropped for end in range(1, len(path)))


def _without(node: Any, dropped: frozenset[Path], above: frozenset[Path], where: Path) -> Any:
    if isinstance(node, list):
        return [_without(item, dropped, above, (*where, index)) if (*where, index) in above else item
                for index, item in enumerate(node)]
    if not isinstance(node, dict):
        return node
    copy = {}
    for key, value in node.items():
        path = (*where, key)
        if path in dropped:  # a `not`
            continue
        if key in ("any", "all") and isinstance(value, list):  # an `all` item: a module fact's `not` alone
            kept = [_without(item, dropped, above, (*path, index)) if (*path, index) in above else item
                    for index, item in enumerate(value) if (*path, index) not in dropped]
            copy[key] = kept or value
        else:
            copy[key] = _without(value, dropped, above, path) if path in above else value
    return copy


def used_utils(body: Any, utils: dict[str, Any]) -> dict[str, Any]:
    """The ``utils`` that ``body`` uses, itself or through other utils: ast-grep compiles
    every util it is given, and dropped branches may have been the only users of some."""
    used: dict[str, Any] = {}
    pending = [body]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            name = node.get("matches")
            if isinstance(name, str) and name in utils and name not in used:
                used[name] = utils[name]
                pending.append(utils[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return {name: util for name, util in utils.items() if name in used}  # in their order
