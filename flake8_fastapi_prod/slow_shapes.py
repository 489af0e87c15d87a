"""Rule shapes known to be slow, reported by ``flake8-fastapi-prod check`` as warnings.

Measured on this engine (see benchmarks/README.md): a rule the prefilter cannot skip pays
ast-grep's rule compilation on every file; ``not: {inside: ..., stopBy: end}`` climbs to the
root from every candidate (quadratic in nesting depth), unless it is a module fact the
engine asks once per file (:mod:`flake8_fastapi_prod.module_facts`); a ``stopBy: end`` search that tests
a util before a cheap ``pattern`` runs the util on every node of the module (FAP401's
search for exception handlers took 270 s on a module with a 20,000-element list, because
its util counts siblings with ``nthChild``); Unicode regex classes cost up to a millisecond
each to compile, on every file; a part written twice (a YAML alias) is compiled twice on
every search, where a util used twice is compiled once (FAP403's six dependency names: its
screen went from ~53 to ~39 µs a file).
"""

from __future__ import annotations

import json
import re

from flake8_fastapi_prod.model import Rule
from flake8_fastapi_prod.prefilter import Requirement
from flake8_fastapi_prod.requirements import rule_mappings

_WORD_CHAR = re.compile(r"[A-Za-z0-9_]")
_UNICODE_CLASSES = re.compile(r"\\[wWsSdDbB]|(?<!\\)\.(?![^\[]*\])")
_METAVARIABLE = re.compile(r"\$[A-Z_]")  # `$PARAM`, `$$$ARGS`; not a regex's `$`


def slow_shape_warnings(rule: Rule) -> list[str]:
    warnings = []
    if _names_nothing(rule.requirement):
        warnings.append("the prefilter cannot skip this rule on any file (it names no identifier, imported name "
                        "or word regex): it is compiled and run on every file; add a `pattern`, an `imported:` "
                        "name or a `regex: '^word$'` that every match must contain")
    asked_once = {absent for absent, _, _ in rule.module_facts}  # the engine searches the module once per file
    for path, node in rule_mappings(rule.body, rule.utils):
        where = _where(path)
        inside = node.get("not", {}).get("inside") if isinstance(node.get("not"), dict) else None
        if isinstance(inside, dict) and inside.get("stopBy") == "end" and not asked_once & {path, (*path, "not")}:
            warnings.append(f"{where}: `not: {{inside: ..., stopBy: end}}` climbs to the module from every candidate "
                            "(quadratic in nesting depth); stop at the nearest function with a `stopBy` rule")
        if node.get("stopBy") == "end" and _util_first(node):
            warnings.append(f"{where}: this `stopBy: end` search runs `matches: {_util_first(node)}` before its other "
                            "tests, on every node it walks past; write the cheap tests (`pattern`, `kind`) first")
        regex = node.get("regex")
        if isinstance(regex, str) and _UNICODE_CLASSES.search(regex):
            warnings.append(f"{where}: regex {regex!r} uses Unicode classes (\\w \\s \\d \\b or .), which take up to "
                            "a millisecond to compile on every file; use ASCII classes like [A-Za-z0-9_]")
    warnings += _repeated_parts(rule)
    return warnings


_MIN_REPEATED_LEAVES = 3  # patterns and regexes: below this, a repeat costs a few µs


def _repeated_parts(rule: Rule) -> list[str]:
    """A warning for each part of the rule (a mapping or a list, with a few patterns or
    regexes and no metavariable, which a util would not share) written more than once."""
    places: dict[str, list[str]] = {}
    for path, mapping in rule_mappings(rule.body, rule.utils):
        parts = [(path, mapping)] + [((*path, key), value) for key, value in mapping.items() if isinstance(value, list)]
        for where, part in parts:
            places.setdefault(json.dumps(part, sort_keys=True), []).append(_where(where))
    warnings: list[str] = []
    reported: list[str] = []
    for text, wheres in sorted(places.items(), key=lambda item: -len(item[0])):
        leaves = text.count('"pattern"') + text.count('"regex"')
        if len(wheres) < 2 or leaves < _MIN_REPEATED_LEAVES or _METAVARIABLE.search(text) or any(
            text in big for big in reported
        ):
            continue
        reported.append(text)
        warnings.append(f"{wheres[0]}: the same {leaves} patterns and regexes are written {len(wheres)} times "
                        f"(also at {', '.join(wheres[1:])}; a YAML alias?), and ast-grep compiles each copy on every "
                        "search; make them a util and use `matches:` in each place")
    return warnings


def _where(path: tuple) -> str:
    """A path in a rule as the warnings print it: ``rule.all[0].has``."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)[1:]


def _names_nothing(requirement: Requirement) -> bool:
    """Whether ``requirement`` holds on nearly every file: it asks for no word, only for
    punctuation (a regex's required `(`), or for nothing at all."""
    if requirement is True:
        return True
    if requirement is False:
        return False
    kind, value = requirement
    if kind == "all":
        return all(map(_names_nothing, value))
    if kind == "any":
        return any(map(_names_nothing, value))
    return kind == "text" and not _WORD_CHAR.search(value)


def _util_first(node: dict) -> str | None:
    """The util a rule's keys (run in written order) test first, if other tests follow it."""
    tests = node.get("all") if isinstance(node.get("all"), list) else []
    first = tests[0] if tests else None
    if len(tests) > 1 and isinstance(first, dict) and list(first) == ["matches"]:
        return first["matches"]
    return None
