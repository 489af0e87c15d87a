"""Load rulebooks into :class:`Rule` objects, validated once per process.

A rulebook is YAML: shared ``utils`` (named ast-grep rules) and a list of ``rules``, each
with a code, a kebab-case name, a one-line message, a note, an ast-grep ``rule`` and
examples. Nothing in a rulebook is executed; it is data handed to ast-grep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ast_grep_py import SgRoot

from flake8_fastapi_prod import schema, settings
from flake8_fastapi_prod.branches import without
from flake8_fastapi_prod.errors import Problem, RulebookError
from flake8_fastapi_prod.imports import Spelling
from flake8_fastapi_prod.model import Examples, Rule
from flake8_fastapi_prod.module_facts import as_if_absent, module_facts
from flake8_fastapi_prod.screen import screen
from flake8_fastapi_prod.requirements import droppable_branches, requirement, triggers
from flake8_fastapi_prod.reach import reach
from flake8_fastapi_prod.shorthand import collect_imported, in_written_order, referenced_utils
from flake8_fastapi_prod.yaml_source import expanded_size, load_yaml


@dataclass
class RulebookFile:
    """One rulebook file as written: its rules, utils, overrides of earlier rules, settings."""

    path: str
    rules: list[Rule]
    utils: dict[str, Any]
    overrides: dict[str, dict[str, Any]]  # code -> fields to change (a LineDict: keeps lines)
    settings: dict[str, Any]


def read_rulebook_file(path: Path, inherited_utils: dict[str, Any]) -> RulebookFile:
    """Parse and check the structure of one rulebook; ``inherited_utils`` come from earlier files."""
    data = load_yaml(path)
    problems: list[Problem] = []
    where = str(path)

    def report_for(rule_id: str) -> schema.Report:
        return lambda line, message: problems.append(Problem(where, line, rule_id, message))

    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RulebookError([Problem(where, 1, "", "a rulebook must be a mapping with 'rules' (and optional 'utils')")])
    schema.check_keys(data, schema.TOP_LEVEL_KEYS, "the rulebook", report_for(""), 1)
    own_utils = _named_utils(_mapping(data, "utils", report_for("")), report_for(""), 1)
    visible_utils = {**inherited_utils, **own_utils}
    for name, util in own_utils.items():
        schema.check_rule_body(util, report_for(f"utils.{name}"), set(visible_utils), schema.line_of(own_utils, name))
    overrides = _mapping(data, "overrides", report_for(""))
    for code, fields in overrides.items():
        line = schema.line_of(overrides, code)
        if not isinstance(fields, dict):
            report_for(str(code))(line, "an override must be a mapping of fields to change")
        else:
            schema.check_keys(fields, schema.OVERRIDE_KEYS, "an override", report_for(str(code)), line)
            for key, kind in (("message", str), ("note", str), ("enabled", bool), ("settings", dict)):
                if key in fields and not isinstance(fields[key], kind):
                    report_for(str(code))(schema.line_of(fields, key, line), f"'{key}' must be {schema.type_name(kind())}")
            message = fields.get("message")
            if isinstance(message, str) and not _one_line(message):
                report_for(str(code))(schema.line_of(fields, "message", line), "'message' must be one non-empty line")
    settings = _mapping(data, "settings", report_for(""))
    entries = data.get("rules")
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        report_for("")(schema.line_of(data, "rules"), "'rules' must be a list of rules")
        entries = []

    rules: list[Rule] = []
    seen_codes: dict[str, int] = {}
    for index, entry in enumerate(entries):
        line = schema.line_of(entry, default=schema.line_of(data, "rules"))
        rule_id = entry.get("code") if isinstance(entry, dict) and isinstance(entry.get("code"), str) else f"rules[{index}]"
        report = report_for(rule_id)
        if not isinstance(entry, dict):
            report(line, "each rule must be a mapping with code, name, message and rule")
            continue
        before = len(problems)
        rule = _build_rule(entry, visible_utils, report, line, where)
        if rule is None or len(problems) > before:
            continue
        if rule.code in seen_codes:
            report(line, f"duplicate code {rule.code}: already used by the rule on line {seen_codes[rule.code]}")
            continue
        seen_codes[rule.code] = line
        rules.append(rule)
    if problems:
        raise RulebookError(problems)
    return RulebookFile(where, rules, own_utils, overrides, settings)


# A rule is compiled by ast-grep for every file it runs on: the largest default rule has
# about 270 nodes; a rule many times that (usually YAML aliases) would slow every run.
MAX_RULE_NODES = 5_000


def _one_line(text: str) -> bool:
    return bool(text.strip()) and "\n" not in text.strip() and "\r" not in text.strip()


def _mapping(data: dict, key: str, report: schema.Report) -> dict:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        report(schema.line_of(data, key), f"'{key}' must be a mapping")
        return {}
    return value


def _named_utils(utils: dict, report: schema.Report, line: int) -> dict:
    """``utils`` without the entries whose name is not a string (YAML reads ``null:`` or
    ``1:`` as such), each of which is reported."""
    for name in utils:
        if not isinstance(name, str):
            report(schema.line_of(utils, name, line), f"a utility rule's name must be a string, not {name!r}")
    return {name: util for name, util in utils.items() if isinstance(name, str)}


def finalize_rule(
    rule: Rule, values: dict[str, Any], report: schema.Report, by_file: frozenset[str] = frozenset(),
) -> Rule | None:
    """The rule with its settings substituted, checked by ast-grep; None if a setting turns it off.

    ``by_file`` are the rule's ``pytest_settings`` that no team set: the conditions of
    ``disabled_when`` on them are left to the engine, which asks each file's pytest
    configuration (``values`` holds their defaults)."""
    if settings.is_disabled({k: v for k, v in rule.disabled_when.items() if k not in by_file}, values):
        return None
    try:
        body = settings.substitute(rule.body, values)
        utils = settings.substitute(rule.utils, values)
        constraints = settings.substitute(rule.constraints, values)
    except KeyError as missing:
        report(rule.line, f"the rule uses the setting {missing.args[0]!r}, which no rule declares under 'settings'")
        return None
    if settings.references([rule.body, rule.utils]):  # the values may be malformed
        schema.check_rule_body(body, report, set(utils), rule.line)
        for util in utils.values():
            schema.check_rule_body(util, report, set(utils), rule.line)
    body, utils = in_written_order(body), {name: in_written_order(util) for name, util in utils.items()}
    needs = requirement(body, utils)
    facts = module_facts(body, utils, constraints)
    final = rule.replace(
        body=body, utils=utils, constraints=constraints, requirement=needs, triggers=triggers(needs),
        imported_names=tuple(sorted(collect_imported([body, utils, constraints], set()))),
        reach=reach(body, utils, constraints), branches=droppable_branches(body, utils, constraints),
        # A screen searches from every candidate too: not the module facts, which the engine asks once.
        screen=_screen_of(without(body, as_if_absent(facts), ("rule",)), utils), module_facts=facts,
        pytest_off=settings.conditions_on(rule.disabled_when, by_file, values),
    )
    _check_compiles(final, report)
    return final


def _screen_of(body: dict, utils: dict) -> tuple[dict, float] | None:
    """The rule's screen as plain data (the rulebook cache stores it)."""
    found = screen({"rule": body, **({"utils": utils} if utils else {})})
    return None if found is None else (found.config, found.share)


def _build_rule(entry: dict, shared_utils: dict, report: schema.Report, line: int, source: str) -> Rule | None:
    """A rule from its entry, as written (settings not yet substituted), or None if incomplete."""
    schema.check_keys(entry, schema.RULE_ENTRY_KEYS, "a rule", report, line)
    for key in ("code", "name", "message", "rule"):
        if key not in entry:
            report(line, f"missing required key '{key}'")
    code, name, message = entry.get("code"), entry.get("name"), entry.get("message")
    at = lambda key: schema.line_of(entry, key, line)  # noqa: E731
    if "code" in entry and not (isinstance(code, str) and schema.CODE_FORMAT.fullmatch(code)):
        report(at("code"), f"code {code!r} must be FAP followed by three digits (flake8 reports only codes it selects)")
    if "name" in entry and not (isinstance(name, str) and schema.NAME_FORMAT.fullmatch(name)):
        report(at("name"), f"name {name!r} must be kebab-case, like 'engine-at-import-time'")
    if "message" in entry and not (isinstance(message, str) and _one_line(message)):
        report(at("message"), "'message' must be one non-empty line")
    size = expanded_size([entry.get("rule"), entry.get("utils"), entry.get("constraints")], MAX_RULE_NODES)
    if size > MAX_RULE_NODES:
        report(line, f"the rule expands to more than {MAX_RULE_NODES} nodes (YAML aliases included): "
                     "it would be slow to compile on every file")
    for key, kind in (("note", str), ("enabled", bool), ("constraints", dict), ("utils", dict), ("settings", dict),
                      ("disabled_when", dict), ("examples", dict)):
        if key in entry and not isinstance(entry[key], kind):
            report(at(key), f"'{key}' must be {schema.type_name(kind())}")
    local_utils = _named_utils(entry.get("utils") if isinstance(entry.get("utils"), dict) else {}, report, at("utils"))
    util_names = set(shared_utils) | set(local_utils)
    for util_name, util in local_utils.items():
        schema.check_rule_body(util, report, util_names, schema.line_of(local_utils, util_name, at("utils")))
    if "rule" in entry:
        schema.check_rule_body(entry["rule"], report, util_names, at("rule"))
    if "fix" in entry:
        schema.check_fix(entry["fix"], report, at("fix"), util_names)
    examples = _read_examples(entry.get("examples"), report, at("examples"))
    pytest_settings = _pytest_settings(entry, report, at("pytest_settings"))
    if not all(k in entry for k in ("code", "name", "message", "rule")):
        return None
    all_utils = {**shared_utils, **local_utils}
    body = entry["rule"]
    used = referenced_utils(body, all_utils) | referenced_utils(entry.get("constraints") or {}, all_utils)
    utils = {name: all_utils[name] for name in sorted(used) if name in all_utils}
    return Rule(
        code=code,
        name=name,
        message=message.strip() if isinstance(message, str) else "",
        body=body,
        note=entry.get("note") or "",
        enabled=entry.get("enabled", True),
        constraints=entry.get("constraints") or {},
        utils=utils,
        fix=entry.get("fix"),
        settings=entry.get("settings") or {},
        disabled_when=entry.get("disabled_when") or {},
        pytest_settings=pytest_settings,
        examples=examples,
        source=source,
        line=line,
    )


def _pytest_settings(entry: dict, report: schema.Report, line: int) -> tuple[str, ...]:
    """The settings of the rule that a file's pytest configuration gives where no team does.
    Only ``disabled_when`` may use them: their value changes from file to file, and the
    rule's search is the same for every file."""
    names = entry.get("pytest_settings")
    if names is None:
        return ()
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        report(line, "'pytest_settings' must be a list of setting names")
        return ()
    declared = entry.get("settings") if isinstance(entry.get("settings"), dict) else {}
    used = settings.references([entry.get("rule"), entry.get("utils"), entry.get("constraints")])
    for name in names:
        if name not in declared:
            report(line, f"'pytest_settings' names {name!r}, which the rule does not declare under 'settings'")
        elif name in used:
            report(line, f"the setting {name!r} comes from each file's pytest configuration: "
                         "only 'disabled_when' may use it, not the rule")
    return tuple(names)


def _read_examples(value: Any, report: schema.Report, line: int) -> Examples:
    examples = Examples()
    if not isinstance(value, dict):
        return examples
    schema.check_keys(value, schema.EXAMPLE_KEYS, "examples", report, line)
    for key in ("invalid", "valid"):
        items = value.get(key) or []
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            report(schema.line_of(value, key, line), f"'examples.{key}' must be a list of code snippets")
            continue
        setattr(examples, key, list(items))
    fixes = value.get("fixes") or []
    if not isinstance(fixes, list):
        report(schema.line_of(value, "fixes", line), "'examples.fixes' must be a list of before/after pairs")
        fixes = []
    for pair in fixes:
        where = schema.line_of(pair, default=schema.line_of(value, "fixes", line))
        if not isinstance(pair, dict) or not all(isinstance(pair.get(k), str) for k in schema.FIX_EXAMPLE_KEYS):
            report(where, "each of 'examples.fixes' needs 'before' and 'after' code snippets")
            continue
        schema.check_keys(pair, schema.FIX_EXAMPLE_KEYS, "a fix example", report, where)
        examples.fixes.append((pair["before"], pair["after"]))
    return examples


def _check_compiles(rule: Rule, report: schema.Report) -> None:
    """Hand the rule to ast-grep once, with every imported name spelled out, to surface its errors."""
    for pattern in _patterns(rule.body) + _patterns(rule.utils):
        if not _parses(pattern):
            report(rule.line, f"pattern {pattern!r} is not valid Python code, so it can never match")
    probe = SgRoot("pass\n", "python").root()
    try:
        probe.find_all(rule.config_for(lambda name: (Spelling(name),)))
    except BaseException as error:  # ast-grep raises its own types; a pyo3 panic is a BaseException
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        report(rule.line, f"ast-grep cannot use this rule: {ast_grep_reason(error)}")
    finally:
        rule._configs.clear()


_GENERIC_AST_GREP_LINES = ("cannot get matcher", "`rule` is not configured correctly.", "Caused by:")


def ast_grep_reason(error: BaseException) -> str:
    """ast-grep's error chain on one line, without its generic lines and Rust backtrace."""
    text = str(error).split("Stack backtrace:")[0]
    lines = [re.sub(r"^\d+: ", "", line.strip()) for line in text.splitlines()]
    return " / ".join(line for line in lines if line and line not in _GENERIC_AST_GREP_LINES)


def _patterns(node: Any) -> list[str]:
    if isinstance(node, list):
        return [p for item in node for p in _patterns(item)]
    if not isinstance(node, dict):
        return []
    found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
    return found + [p for key, value in node.items() if key != "pattern" for p in _patterns(value)]


def _parses(pattern: str) -> bool:
    # ast-grep turns `$X` into an identifier before parsing a Python pattern; a pattern that
    # does not parse silently becomes an ERROR node that matches nothing.
    code = pattern.replace("$$$", "µµµ").replace("$", "µ")
    return SgRoot(code, "python").root().find(kind="ERROR") is None
