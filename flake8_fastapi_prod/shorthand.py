"""The rulebook's one extension to ast-grep's rule language, and the prefilter derived from rules.

``imported: time.sleep`` (or a list of qualified names) matches an expression that refers
to that name in this file, however it was imported. Before a rule runs on a file the engine
replaces it with plain ast-grep ``pattern``s for the file's own spellings (``nap`` after
``from time import sleep as nap``), so ast-grep does the matching and no rule logic lives in
Python. A name the file never imports leaves an empty ``any``, which matches nothing.

Every rule also yields a :data:`Requirement`: a formula over "this identifier occurs in the
text" and "this name is imported" that must hold for the rule to match anything. The engine
skips a rule whose requirement fails, which is most rules on most files.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Union

from flake8_fastapi_prod.imports import Spelling

IMPORTED = "imported"
RELATIONAL_KEYS = ("inside", "has", "precedes", "follows")

# A requirement is True (nothing known), ("text", identifier), ("import", names),
# ("all", parts) or ("any", parts).
Requirement = Union[bool, tuple]

_PATTERN_WORD = re.compile(r"\$*[A-Za-z_][A-Za-z0-9_]*")


# Node kinds whose text always contains a keyword: the keyword must occur for one to exist.
KIND_KEYWORDS = {
    "raise_statement": "raise", "yield": "yield", "await": "await", "lambda": "lambda",
    "try_statement": "try", "with_statement": "with", "decorator": "@", "assert_statement": "assert",
    "return_statement": "return", "delete_statement": "del", "global_statement": "global",
    "nonlocal_statement": "nonlocal", "class_definition": "class", "function_definition": "def",
    "import_statement": "import", "import_from_statement": "import", "for_statement": "for",
    "while_statement": "while", "if_statement": "if", "except_clause": "except", "finally_clause": "finally",
}


def imported_names(value: Any) -> list[str]:
    """The qualified names an ``imported:`` value lists (a string or a list of strings)."""
    return [value] if isinstance(value, str) else list(value)


def expand(node: Any, spell: Callable[[str], tuple[Spelling, ...]]) -> Any:
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


def in_written_order(node: Any) -> Any:
    """A copy of a rule in which every mapping of several rule keys becomes one ``all`` list
    in the order the keys were written.

    ast-grep checks a mapping's keys in an order of its own, so a module-wide search written
    last could run first, on every node; ``all`` runs in list order. Written order is what
    a rule's author expects, for speed and for metavariables bound by an earlier key."""
    if isinstance(node, list):
        return [in_written_order(item) for item in node]
    if not isinstance(node, dict):
        return node
    relation = {key: node[key] for key in _RELATION_ONLY if key in node}
    if "stopBy" in relation and isinstance(relation["stopBy"], dict):
        relation["stopBy"] = in_written_order(relation["stopBy"])
    keys = [key for key in node if key not in _RELATION_ONLY]
    if len(keys) <= 1:
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


def requirement(rule: Any, utils: dict[str, Any], _seen: frozenset[str] = frozenset()) -> Requirement:
    """What must hold in a file for ``rule`` to match anything there (conservatively)."""
    if not isinstance(rule, dict):
        return True
    parts: list[Requirement] = []
    pattern = rule.get("pattern")
    if isinstance(pattern, str):
        # A pattern matches source text leaf for leaf: each identifier it names must occur.
        parts += [("text", w) for w in _PATTERN_WORD.findall(pattern) if not w.startswith("$")]
    if isinstance(rule.get("regex"), str):
        parts.append(_regex_requirement(rule["regex"]))
    if rule.get("kind") in KIND_KEYWORDS:  # a `raise_statement` node holds the word `raise`
        parts.append(("text", KIND_KEYWORDS[rule["kind"]]))
    if IMPORTED in rule:
        parts.append(("import", tuple(imported_names(rule[IMPORTED]))))
    for key in RELATIONAL_KEYS:  # the related node must exist somewhere in the file
        parts.append(requirement(rule.get(key), utils, _seen))
    for sub in rule.get("all") or []:
        parts.append(requirement(sub, utils, _seen))
    if isinstance(rule.get("any"), list):
        parts.append(_any([requirement(sub, utils, _seen) for sub in rule["any"]]))
    name = rule.get("matches")
    if isinstance(name, str) and name in utils:
        # A utility that refers to itself can only match through a branch that does not
        # (trees are finite), so the recursive reference itself adds no way to match.
        parts.append(False if name in _seen else requirement(utils[name], utils, _seen | {name}))
    return _all(parts)


def _regex_requirement(regex: str) -> Requirement:
    """What a regex needs in the text: the words it starts with (``^on_(startup|shutdown)$``
    needs ``on_startup`` or ``on_shutdown``); for anything less simple, nothing."""
    words = _leading_words(regex)
    return _any([("text", word) for word in words]) if words else True


# An optional `^`, a word, an optional group of alternative words, a word, then the rest.
_LEADING = re.compile(r"\^?(?P<head>[A-Za-z0-9_]*)(?:\((?:\?:)?(?P<body>[A-Za-z0-9_|]+)\))?(?P<tail>[A-Za-z0-9_]*)")


def _leading_words(regex: str) -> list[str]:
    match = _LEADING.match(regex)
    rest = regex[match.end():]
    if rest[:1] in ("?", "*", "{", "|") or "|" in _top_level(rest):
        return []  # the last piece is optional, or the regex has other alternatives
    words = [match["head"] + word + match["tail"] for word in (match["body"] or "").split("|")]
    return words if all(_WORD.fullmatch(word) for word in words) else []


def _top_level(regex: str) -> str:
    """The regex with bracketed and parenthesised parts removed (roughly: enough to see `|`)."""
    depth, out, escaped = 0, [], False
    for char in regex:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        elif depth == 0:
            out.append(char)
    return "".join(out)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _all(parts: list[Requirement]) -> Requirement:
    parts = [p for p in parts if p is not True]
    if any(p is False for p in parts):
        return False
    return True if not parts else parts[0] if len(parts) == 1 else ("all", tuple(parts))


def _any(parts: list[Requirement]) -> Requirement:
    if any(p is True for p in parts):
        return True
    parts = [p for p in parts if p is not False]
    if not parts:
        return False  # an empty `any` matches nothing
    return parts[0] if len(parts) == 1 else ("any", tuple(parts))


def holds(req: Requirement, text: str, spell: Callable[[str], tuple[Spelling, ...]]) -> bool:
    """Whether ``req`` holds for a file with this ``text`` and these import spellings."""
    if req is True or req is False:
        return req
    kind = req[0]
    if kind == "text":
        return req[1] in text
    if kind == "import":
        # The file must import the name and also use it: its last segment must occur.
        return any(spelling.text.rpartition(".")[2] in text for name in req[1] for spelling in spell(name))
    if kind == "all":
        return all(holds(part, text, spell) for part in req[1])
    return any(holds(part, text, spell) for part in req[1])
