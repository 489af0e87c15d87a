"""Structural checks of a rulebook: the keys, the types, the names a rule refers to.

Every problem found is reported at once (a team fixes a rulebook in one pass), each at
``file:line`` and with the rule's code. Checks that need ast-grep itself (does a pattern
parse?) are made by :mod:`flake8_fastapi_prod.rulebook` after these pass.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Callable

from flake8_fastapi_prod.shorthand import IMPORTED, RELATIONAL_KEYS
from flake8_fastapi_prod.yaml_source import LineDict

TOP_LEVEL_KEYS = ("utils", "rules", "overrides", "settings")
RULE_ENTRY_KEYS = ("code", "name", "message", "note", "enabled", "rule", "constraints", "utils", "fix", "settings",
                   "disabled_when", "pytest_settings", "examples")
FIX_KEYS = ("template", "expandStart", "expandEnd", "only_if", "target", "imports")
OVERRIDE_KEYS = ("message", "note", "enabled", "settings")
EXAMPLE_KEYS = ("invalid", "valid", "fixes")
FIX_EXAMPLE_KEYS = ("before", "after")
ATOMIC_KEYS = ("pattern", "kind", "regex", "nthChild", "range", IMPORTED)
COMPOSITE_KEYS = ("all", "any", "not", "matches")
RULE_KEYS = ATOMIC_KEYS + RELATIONAL_KEYS + COMPOSITE_KEYS
RELATION_KEYS = RULE_KEYS + ("stopBy", "field")
PATTERN_OBJECT_KEYS = ("context", "selector", "strictness")

# flake8 reports a code only when its prefix is selected; every code of this pack starts
# with the plugin's entry-point prefix FAP (FAP0xx: the plugin itself, FAP9xx: teams).
CODE_FORMAT = re.compile(r"FAP[0-9]{3}")
TEAM_CODE_FORMAT = re.compile(r"FAP9[0-9]{2}")
NAME_FORMAT = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
QUALIFIED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")

Report = Callable[[int, str], None]  # (line, problem)


def did_you_mean(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; expected one of: {', '.join(known)}"


def line_of(node: Any, key: str | None = None, default: int = 0) -> int:
    if isinstance(node, LineDict):
        return node.line_of(key) if key is not None else node.line
    return default


def check_keys(node: dict, known: tuple[str, ...], what: str, report: Report, line: int) -> None:
    for key in node:
        if key not in known:
            report(line_of(node, str(key), line), f"unknown key {key!r} in {what}{did_you_mean(str(key), known)}")


def check_rule_body(node: Any, report: Report, util_names: set[str], line: int, relation: bool = False) -> None:
    """Check one ast-grep rule object (recursively) against ast-grep's rule vocabulary."""
    if not isinstance(node, dict):
        report(line, f"a rule must be a mapping of ast-grep rule keys, not {type_name(node)}")
        return
    line = line_of(node, default=line)
    check_keys(node, RELATION_KEYS if relation else RULE_KEYS, "a rule", report, line)
    if not any(key in node for key in RULE_KEYS):
        report(line, "a rule needs at least one of: " + ", ".join(RULE_KEYS))

    def at(key: str) -> int:
        return line_of(node, key, line)

    for key in ("kind", "regex"):
        if key in node and not _non_empty_str(node[key]):
            report(at(key), f"'{key}' must be a non-empty string")
    if "pattern" in node:
        _check_pattern(node["pattern"], report, at("pattern"))
    if IMPORTED in node:
        _check_imported(node[IMPORTED], report, at(IMPORTED))
    if "nthChild" in node and not isinstance(node["nthChild"], (int, str, dict)):
        report(at("nthChild"), "'nthChild' must be a number, a string like '2n+1', or a mapping")
    for key in RELATIONAL_KEYS:
        if key in node:
            check_rule_body(node[key], report, util_names, at(key), relation=True)
    for key in ("all", "any"):
        if key in node:
            if not isinstance(node[key], list):
                report(at(key), f"'{key}' must be a list of rules")
            else:
                for sub in node[key]:
                    check_rule_body(sub, report, util_names, line_of(sub, default=at(key)))
    if "not" in node:
        check_rule_body(node["not"], report, util_names, at("not"))
    if "matches" in node:
        name = node["matches"]
        if not isinstance(name, str):
            report(at("matches"), "'matches' must name a utility rule")
        elif name not in util_names:
            known = tuple(sorted(util_names))
            hint = did_you_mean(name, known) if known else "; no utility rules are defined"
            report(at("matches"), f"'matches' refers to an undefined utility rule {name!r}{hint}")
    if relation:
        stop = node.get("stopBy")
        if stop is not None and stop not in ("neighbor", "end"):
            if isinstance(stop, dict):
                check_rule_body(stop, report, util_names, at("stopBy"))
            else:
                report(at("stopBy"), "'stopBy' must be 'neighbor', 'end' or a rule")
        if "field" in node and not _non_empty_str(node["field"]):
            report(at("field"), "'field' must be a non-empty string")


def check_fix(fix: Any, report: Report, line: int, util_names: set[str]) -> None:
    if isinstance(fix, str):
        return
    if not isinstance(fix, dict):
        report(line, "'fix' must be a template string or a mapping with 'template'")
        return
    line = line_of(fix, default=line)
    check_keys(fix, FIX_KEYS, "a fix", report, line)
    if not isinstance(fix.get("template"), str):
        report(line, "a fix mapping needs a 'template' string")
    for key in ("only_if", "target", "expandStart", "expandEnd"):
        if key in fix:
            check_rule_body(fix[key], report, util_names, line_of(fix, key, line))
    imports = fix.get("imports", [])
    if not isinstance(imports, list) or not all(isinstance(i, str) and i.lstrip().startswith(("import ", "from "))
                                                for i in imports):
        report(line_of(fix, "imports", line), "'imports' must be a list of import statements like 'import asyncio'")


def _check_pattern(pattern: Any, report: Report, line: int) -> None:
    if isinstance(pattern, dict):
        check_keys(pattern, PATTERN_OBJECT_KEYS, "a pattern object", report, line)
        if not _non_empty_str(pattern.get("context")):
            report(line, "a pattern object needs a 'context' string")
    elif not _non_empty_str(pattern):
        report(line, "'pattern' must be a non-empty string or a mapping with 'context'")


SETTING_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def _check_imported(value: Any, report: Report, line: int) -> None:
    if isinstance(value, str) and SETTING_REFERENCE.fullmatch(value):
        return  # a setting: checked once its value is substituted
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        report(line, f"'{IMPORTED}' must be a qualified name like 'time.sleep' or a non-empty list of them")
        return
    for name in names:
        if not isinstance(name, str) or not QUALIFIED_NAME.fullmatch(name):
            report(line, f"'{IMPORTED}' entry {name!r} is not a qualified name like 'time.sleep'")


def _non_empty_str(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", type(None): "nothing"}.get(
        type(value) if not isinstance(value, dict) else dict, type(value).__name__
    )
