"""Conditions on the whole module, asked of the module once per file, not from every candidate.

Rules leave a file alone for what it holds somewhere: FAP303 a module that imports
`pydantic.v1`, FAP505 one that sets `pytestmark`. Written as ``not: {inside: {kind: module,
stopBy: end, has: ...}}``, ast-grep climbs to the module from every candidate and searches it
again: on a module of 4,000 `Model.parse_obj(...)` calls, FAP303 took 6.3 s. Such a search
names no metavariable (or only ones that are not captured, `$_A`), so its answer is the same
for every node of the file but the module itself: a *module fact*.

The engine runs such a rule without its module facts first, which can only find more: where
that finds nothing, the rule has no match and no fact is asked. Otherwise it asks each fact
once (``kind: module, has: ...``). Where the module holds nothing of the kind, the ``not``
holds for every node and the first search's matches stand; where it does, the branch holding
the ``not`` (an item of an ``any``) cannot match, and the rule is searched again without it,
or has no match at all.

Only where that is sure: the ``not`` is reached from the top of the rule's body through the
items of ``all`` and ``any`` lists alone, its search names no captured metavariable (itself
or in the utils it uses), and the rule's node is never the module itself.
"""

from __future__ import annotations

from typing import Any, Optional

from flake8_fastapi_prod.branches import Path, used_utils
from flake8_fastapi_prod.shorthand import expand

# (where the `not` goes when the module lacks what it searches for: the `not` key, or the
# `all` item that is the `not` alone; what the module is searched for (the `has`); where
# the rule goes when the module holds it: an `any` item, () for the whole rule, or None to
# keep the `not` as written)
ModuleFact = tuple[Path, dict[str, Any], Optional[Path]]


def module_facts(body: dict[str, Any], utils: dict[str, Any], constraints: dict[str, Any]) -> tuple[ModuleFact, ...]:
    """The module facts of a rule (see the module's docstring)."""
    # Imported here: deriving needs what a process whose rulebook comes from the cache never loads.
    from flake8_fastapi_prod.reach import never_module
    from flake8_fastapi_prod.requirements import NOT_MATCHERS, metavariables

    if not never_module(body, utils):  # the module is inside nothing: its `not` would hold
        return ()
    constrained = set(constraints)
    found: list[ModuleFact] = []
    for path, node in _conjunct_mappings(body, ("rule",)):
        search = _module_search(node.get("not"))
        # `$_A` matches any node and is not captured: it cannot tie the search to the candidate
        if search is None or any(not name.startswith("_") for name in metavariables(search, utils)):
            continue
        if set(node) == {"not"}:  # an `all` item that is the `not` alone
            if len(path) < 3 or path[-2] != "all" or len(_at(body, path[1:-1])) < 2:
                continue
            dropped_when_absent = path
        elif set(node) - NOT_MATCHERS:  # without its `not`, the mapping still tests something
            dropped_when_absent = (*path, "not")
        else:
            continue
        dead = _dead_part(body, path)
        if dead and constrained.intersection(metavariables(_at(body, dead[1:]), utils)):
            dead = None  # ast-grep checks that constrained metavariables occur in the rule
        found.append((dropped_when_absent, search, dead))
    # Those that rule out the whole rule first: one that holds spares asking the others.
    return tuple(sorted(found, key=lambda fact: fact[2] != ()))


def askable(facts: tuple[ModuleFact, ...], dropped: frozenset[Path]) -> tuple[ModuleFact, ...]:
    """The facts whose `not` is still in the rule once the ``dropped`` branches (those the
    file cannot use) are left out."""
    return tuple(fact for fact in facts if not any(fact[0][:len(path)] == path for path in dropped))


def as_if_absent(facts: tuple[ModuleFact, ...]) -> frozenset[Path]:
    """What to leave out for the rule as if the module held nothing its facts search for:
    the `not`s, which makes a search that can only find more."""
    return frozenset(absent for absent, _, _ in facts)


def decide(facts: tuple[ModuleFact, ...], root: Any, spell: Any, utils: dict[str, Any]) -> Optional[frozenset[Path]]:
    """What to leave out of the rule in this file (``root`` its module node, ``spell`` how it
    spells imported names), each fact asked once, in order; None if the rule cannot match here."""
    out: set[Path] = set()
    for absent, search, dead in facts:
        config: dict[str, Any] = {"rule": {"kind": "module", "has": expand(search, spell)}}
        needed = used_utils(search, utils)
        if needed:
            config["utils"] = expand(needed, spell)
        if root.find(config) is None:
            out.add(absent)
        elif dead == ():
            return None
        elif dead is not None:
            out.add(dead)
    return frozenset(out)


def _module_search(rule: Any) -> Optional[dict[str, Any]]:
    """The search of ``inside: {kind: module, stopBy: end, has: ...}``, if ``rule`` is that alone."""
    if not isinstance(rule, dict) or set(rule) != {"inside"}:
        return None
    inside = rule["inside"]
    if not isinstance(inside, dict) or set(inside) != {"kind", "stopBy", "has"}:
        return None
    if inside["kind"] != "module" or inside["stopBy"] != "end" or not isinstance(inside["has"], dict):
        return None
    return inside["has"]


def _conjunct_mappings(node: Any, where: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The mappings reached from ``node`` through `all` and `any` items alone: each tests the
    rule's own node."""
    if not isinstance(node, dict):
        return []
    found = [(where, node)]
    for key in ("all", "any"):
        items = node.get(key)
        if isinstance(items, list):
            for index, item in enumerate(items):
                found += _conjunct_mappings(item, (*where, key, index))
    return found


def _dead_part(body: dict[str, Any], path: Path) -> Path:
    """The part of the rule that cannot match when the mapping at ``path`` cannot: the
    nearest `any` item of two or more above it, or () for the whole rule."""
    for end in range(len(path) - 1, 1, -2):
        if path[end - 1] == "any" and len(_at(body, path[1:end])) > 1:
            return path[:end + 1]
    return ()


def _at(body: Any, steps: tuple) -> Any:
    for step in steps:
        body = body[step]
    return body
