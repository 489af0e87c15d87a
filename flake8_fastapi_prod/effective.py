"""The effective rulebook: the default rules, then each team rulebook in order.

A team rule with a default rule's code replaces it; a team rule with a new code (FAP9xx,
the family reserved for teams) adds to the pack; ``overrides:`` changes a rule's message,
note, on/off state or settings without rewriting it. Settings are then substituted into
every rule, each rule is checked by ast-grep, and the team's own examples are run.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from flake8_fastapi_prod import schema
from flake8_fastapi_prod.errors import Problem, RulebookError
from flake8_fastapi_prod.expectations import example_problems
from flake8_fastapi_prod.model import Rule, Rulebook, default_rulebook_path
from flake8_fastapi_prod.rulebook import finalize_rule, read_rulebook_file
from flake8_fastapi_prod.settings import SettingError, coerce


def load_effective_rulebook(team_paths: list[Path], config_settings: dict[str, str] | None = None) -> Rulebook:
    """The default rulebook plus the team rulebooks, as flake8 and the CLI use it."""
    return load_rulebooks([default_rulebook_path(), *team_paths], config_settings, team_from=1)


def load_rulebooks(
    paths: list[Path], config_settings: dict[str, str] | None = None, team_from: int | None = None
) -> Rulebook:
    """Merge rulebooks in order; files from index ``team_from`` on are team rulebooks."""
    team_from = len(paths) if team_from is None else team_from
    problems: list[Problem] = []
    by_code: dict[str, Rule] = {}
    team_codes: set[str] = set()
    utils: dict[str, Any] = {}
    global_settings: dict[str, tuple[Any, str, int]] = {}  # name -> (value, file, line)
    rule_settings: dict[str, dict[str, Any]] = {}
    for index, path in enumerate(paths):
        try:
            book = read_rulebook_file(path, utils)
        except RulebookError as error:
            problems += error.problems
            continue
        utils.update(book.utils)
        for rule in book.rules:
            if index >= team_from and rule.code not in by_code and not schema.TEAM_CODE_FORMAT.fullmatch(rule.code):
                problems.append(Problem(book.path, rule.line, rule.code, (
                    f"{rule.code} is not a default rule; new team rules use codes FAP900 to FAP999 "
                    "so that they never collide with a future default rule")))
                continue
            by_code[rule.code] = rule
            rule_settings.pop(rule.code, None)
            if index >= team_from:
                team_codes.add(rule.code)
        for code, fields in book.overrides.items():
            line = schema.line_of(book.overrides, code)
            if code not in by_code:
                hint = difflib.get_close_matches(str(code), list(by_code), n=1)
                problems.append(Problem(book.path, line, str(code), "overrides a rule that does not exist"
                                        + (f"; did you mean {hint[0]}?" if hint else "")))
                continue
            if isinstance(fields, dict):
                by_code[code] = _apply_override(by_code[code], fields)
                rule_settings.setdefault(code, {}).update(fields.get("settings") or {})
        for name, value in book.settings.items():
            global_settings[name] = (value, book.path, schema.line_of(book.settings, name))
    for name, value in (config_settings or {}).items():
        global_settings[name] = (value, "fap-settings", 0)
    if problems:
        raise RulebookError(problems)

    declared = {name: default for rule in by_code.values() for name, default in rule.settings.items()}
    values = _coerced_values(global_settings, declared, problems)
    rules, turned_off = [], []
    for code in sorted(by_code):
        rule = by_code[code]
        report = _reporter(problems, rule)
        rule_values = {**rule.settings, **values}
        for name, value in rule_settings.get(code, {}).items():
            _check_declared(name, declared, problems, rule.source, rule.line, code)
            rule_values[name] = _coerce_or_report(name, value, declared.get(name), problems, rule.source, rule.line)
        before = len(problems)
        # A setting no team set may come from each file's pytest configuration instead.
        by_file = frozenset(rule.pytest_settings) - set(values) - set(rule_settings.get(code, {}))
        final = finalize_rule(rule, rule_values, report, by_file)
        if final is None:
            if len(problems) == before:
                turned_off.append(code)
            continue
        rules.append(final)
        if code in team_codes and len(problems) == before:  # examples of a rule ast-grep rejected prove nothing
            problems += [Problem(rule.source, rule.line, code, p) for p in example_problems(final)]
    if problems:
        raise RulebookError(problems)
    return Rulebook(rules, [str(p) for p in paths], values, turned_off)


def _apply_override(rule: Rule, fields: dict[str, Any]) -> Rule:
    changes = {key: fields[key] for key in ("message", "note", "enabled") if key in fields}
    if isinstance(changes.get("message"), str):
        changes["message"] = changes["message"].strip()
    return rule.replace(**changes)


def _coerced_values(given: dict[str, tuple[Any, str, int]], declared: dict[str, Any], problems: list[Problem]) -> dict:
    values = {}
    for name, (value, where, line) in given.items():
        if _check_declared(name, declared, problems, where, line, ""):
            values[name] = _coerce_or_report(name, value, declared[name], problems, where, line)
    return values


def _check_declared(name: str, declared: dict[str, Any], problems: list[Problem], where: str, line: int, code: str) -> bool:
    if name in declared:
        return True
    close = difflib.get_close_matches(name, list(declared), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known settings: {', '.join(sorted(declared)) or 'none'}"
    problems.append(Problem(where, line, code, f"unknown setting {name!r}{hint}"))
    return False


def _coerce_or_report(name: str, value: Any, default: Any, problems: list[Problem], where: str, line: int) -> Any:
    try:
        return coerce(name, value, default)
    except SettingError as error:
        problems.append(Problem(where, line, "", str(error)))
        return default


def _reporter(problems: list[Problem], rule: Rule) -> schema.Report:
    return lambda line, message: problems.append(Problem(rule.source, line, rule.code, message))
