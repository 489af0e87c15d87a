"""The rulebook's one extension to ast-grep's rule language, and rewrites of rule bodies.

``imported: time.sleep`` (or a list of qualified names) matches an expression that refers
to that name in this file, however it was imported. Before a rule runs on a file the engine
replaces it with plain ast-grep ``pattern``s for the file's own spellings (``nap`` after
``from time import sleep as nap``), so ast-grep does the matching and no rule logic lives in
Python. A name the file never imports leaves an empty ``any``, which matches nothing.

The prefilter derived from rules is in :mod:`flake8_fastapi_prod.prefilter`.
"""

from __future__ import annotations

from typing import Any, Callable

from flake8_fastapi_prod.imports import Spell, Spelling

IMPORTED = "imported"
RELATIONAL_KEYS = ("inside", "has", "precedes", "follows")


def imported_names(value: Any) -> list[str]:
    """The qualified names an ``imported:`` value lists (a string or a list of strings)."""
    return [value] if isinstance(value, str) else list(value)


def expand(node: Any, spell: Spell) -> Any:
    """A plain-data copy of ``node`` with every ``imported:`` replaced by this file's spellings."""
    return replace_imported(node, lambda names: {
        "any": [_spelled(s) for s in dict.fromkeys(s for name in names for s in spell(name))]
    })


def _spelled(spelling: Spelling) -> dict[str, Any]:
    if spelling.scope is None:
        return {"pattern": spelling.text}
    # A name imported inside a function means the library only within that function.
    start_line, start_column, end_line, end_column = spelling.scope
    where = {"start": {"line": start_line, "column": start_column}, "end": {"line": end_line, "column": end_column}}
    return {"pattern": spelling.text, "inside": {"kind": "function_definition", "stopBy": "end", "range": where}}


def replace_imported(node: Any, replacement: Callable[[list[str]], dict]) -> Any:
    """A plain-data copy of ``node`` with every ``imported:`` replaced by ``replacement(names)``."""
    if isinstance(node, list):
        return [replace_imported(item, replacement) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: replace_imported(value, replacement) for key, value in node.items() if key != IMPORTED}
    if IMPORTED in node:
        out["all"] = [replacement(imported_names(node[IMPORTED])), *out.get("all", [])]
    return out


_RELATION_ONLY = ("stopBy", "field")


# The order in which ast-grep checks the keys of one mapping (its rule deserializer takes the
# atomic keys, then the composite ones, then the relational ones).
_AST_GREP_ORDER = {key: rank for rank, key in enumerate((
    "pattern", "kind", "regex", "nthChild", "range", "all", "any", "not", "matches", "inside", "has", "precedes", "follows",
))}


def in_written_order(node: Any) -> Any:
    """A copy of a rule in which every mapping of several rule keys that ast-grep would check
    in another order becomes one ``all`` list in the order the keys were written.

    ast-grep checks a mapping's keys in an order of its own, so a module-wide search written
    last could run first, on every node; ``all`` runs in list order. Written order is what
    a rule's author expects, for speed and for metavariables bound by an earlier key. A
    mapping whose keys ast-grep checks in written order anyway stays one mapping: each rule
    compiled costs time on every file, and an `all` list is one more rule per key."""
    if isinstance(node, list):
        return [in_written_order(item) for item in node]
    if not isinstance(node, dict):
        return node
    relation = {key: node[key] for key in _RELATION_ONLY if key in node}
    if "stopBy" in relation and isinstance(relation["stopBy"], dict):
        relation["stopBy"] = in_written_order(relation["stopBy"])
    keys = [key for key in node if key not in _RELATION_ONLY]
    ranks = [_AST_GREP_ORDER.get(key, -1) for key in keys]
    if len(keys) <= 1 or (-1 not in ranks and ranks == sorted(ranks)):
        return {**relation, **{key: _ordered_value(key, node[key]) for key in keys}}
    return {**relation, "all": [_ordered_part(key, node[key]) for key in keys]}


def _ordered_part(key: str, value: Any) -> dict[str, Any]:
    if key == "all":  # an `all` written among other keys keeps its own order, in place
        return {"all": [in_written_order(item) for item in value]}
    return {key: _ordered_value(key, value)}


def _ordered_value(key: str, value: Any) -> Any:
    if key in ("pattern", "kind", "regex", "nthChild", "range", "matches", IMPORTED):
        return value
    return in_written_order(value)


def collect_imported(node: Any, into: set[str]) -> set[str]:
    """Every qualified name that ``imported:`` mentions anywhere in ``node``."""
    if isinstance(node, list):
        for item in node:
            collect_imported(item, into)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == IMPORTED:
                into.update(imported_names(value))
            else:
                collect_imported(value, into)
    return into


def referenced_utils(node: Any, utils: dict[str, Any], into: set[str] | None = None) -> set[str]:
    """The names of the utility rules ``node`` refers to through ``matches``, transitively."""
    into = set() if into is None else into
    if isinstance(node, list):
        for item in node:
            referenced_utils(item, utils, into)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "matches" and isinstance(value, str):
                if value not in into:
                    into.add(value)
                    if value in utils:
                        referenced_utils(utils[value], utils, into)
            else:
                referenced_utils(value, utils, into)
    return into
