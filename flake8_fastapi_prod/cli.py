"""``flake8-fastapi-prod``: list, explain and check rulebooks, and write the rule docs."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from flake8_fastapi_prod import docs
from flake8_fastapi_prod.effective import Rulebook, load_effective_rulebook, load_rulebooks
from flake8_fastapi_prod.errors import Problem, RulebookError
from flake8_fastapi_prod.expectations import example_problems
from flake8_fastapi_prod.model import default_rulebook_path
from flake8_fastapi_prod.settings import SettingError, parse_settings_text
from flake8_fastapi_prod.slow_shapes import slow_shape_warnings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flake8-fastapi-prod", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("rules", "list every rule of the effective rulebook"),
                            ("explain", "show a rule's message, note, examples and settings")):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--rulebook", action="append", type=Path, default=None,
                         help="a team rulebook (repeatable); default: fap-rulebooks from flake8's config")
        if name == "explain":
            sub.add_argument("code")
    export = commands.add_parser("export-ast-grep", help="write the effective rulebook as an ast-grep project")
    export.add_argument("directory", type=Path)
    export.add_argument("--rulebook", action="append", type=Path, default=None,
                        help="a team rulebook (repeatable); default: fap-rulebooks from flake8's config")
    fix = commands.add_parser("fix", help="apply the fixes rules declare; report what could not be fixed")
    fix.add_argument("paths", nargs="+", type=Path)
    fix.add_argument("--diff", action="store_true", help="print a diff instead of writing the files")
    fix.add_argument("--rulebook", action="append", type=Path, default=None,
                     help="a team rulebook (repeatable); default: fap-rulebooks from flake8's config")
    profile = commands.add_parser("profile", help="time each rule on the given code, slowest first")
    profile.add_argument("paths", nargs="+", type=Path)
    profile.add_argument("--rulebook", action="append", type=Path, default=None,
                         help="a team rulebook (repeatable); default: fap-rulebooks from flake8's config")
    check = commands.add_parser("check", help="validate rulebooks and run their examples")
    check.add_argument("rulebooks", nargs="+", type=Path)
    doc = commands.add_parser("docs", help="write the rule documentation (Markdown)")
    doc.add_argument("--output", type=Path, default=Path("docs/rules.md"))
    doc.add_argument("--check", action="store_true", help="exit 1 if the file is not up to date")
    args = parser.parse_args(argv)
    try:
        handlers = {"rules": _rules, "explain": _explain, "check": _check, "docs": _docs, "export-ast-grep": _export,
                    "fix": _fix, "profile": _profile}
        return handlers[args.command](args)
    except (RulebookError, SettingError) as error:
        print(error, file=sys.stderr)
        return 1
    except BrokenPipeError:  # `... | head`: the reader has seen enough; no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _effective(args: argparse.Namespace) -> Rulebook:
    if args.rulebook is not None:
        return load_effective_rulebook(args.rulebook)
    paths, settings_text = team_config_from_flake8()
    return load_effective_rulebook(paths, parse_settings_text(settings_text))


def team_config_from_flake8() -> tuple[list[Path], str]:
    """``fap-rulebooks`` and ``fap-settings`` from the flake8 config file flake8 itself would use."""
    from flake8.options.config import load_config
    from flake8.utils import normalize_paths, parse_comma_separated_list

    cfg, cfg_dir = load_config(config=None, extra=[], isolated=False)
    if not cfg.has_section("flake8"):
        return [], ""
    section = dict(cfg.items("flake8"))
    raw = section.get("fap-rulebooks", section.get("fap_rulebooks", ""))
    paths = normalize_paths(parse_comma_separated_list(raw), cfg_dir)
    return [Path(p) for p in paths], section.get("fap-settings", section.get("fap_settings", ""))


def _rules(args: argparse.Namespace) -> int:
    rulebook = _effective(args)
    rows = [(r.code, r.name, r.family, "on" if r.enabled else "off", _relative(r.source)) for r in rulebook.rules]
    rows += [(code, "", code[:4] + "xx", "off (setting)", "") for code in rulebook.turned_off]
    widths = [max(len(row[i]) for row in rows + [("code", "name", "family", "state", "source")]) for i in range(5)]
    for row in [("code", "name", "family", "state", "source"), *sorted(rows)]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def _explain(args: argparse.Namespace) -> int:
    rulebook = _effective(args)
    code = args.code.upper()
    matching = [r for r in rulebook.rules if r.code == code or r.name == args.code]
    if not matching:
        print(f"no rule {args.code!r} in the effective rulebook; `flake8-fastapi-prod rules` lists them", file=sys.stderr)
        return 1
    rule = matching[0]
    print(docs.rule_markdown(rule, heading="#").rstrip())
    print(f"\nFamily: {rule.family} ({docs.family_title(rule.code)}). Source: {_relative(rule.source)}:{rule.line}")
    return 0


def _check(args: argparse.Namespace) -> int:
    problems: list[Problem] = []
    default = default_rulebook_path().resolve()
    team = [p for p in args.rulebooks if p.resolve() != default]
    checked = []
    try:
        if len(team) < len(args.rulebooks):  # the default rulebook itself: its examples too
            rules = load_rulebooks([default]).rules
            problems += [Problem(str(default), r.line, r.code, p) for r in rules for p in example_problems(r)]
            checked += rules
        if team:
            rulebook = load_effective_rulebook(team)
            checked += [r for r in rulebook.rules if Path(r.source).resolve() != default]
    except RulebookError as error:
        problems += error.problems
    count = len(checked)
    for problem in problems:
        print(problem)
    if not problems:
        for rule in checked:
            for warning in slow_shape_warnings(rule):
                print(f"{_relative(rule.source)}:{rule.line}: {rule.code}: warning: {warning}")
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(f"{count} rule(s) checked: no problems")
    return 0


def _export(args: argparse.Namespace) -> int:
    from flake8_fastapi_prod.export import export_project

    written = export_project(_effective(args), args.directory)
    print(f"wrote {len(written)} files to {args.directory}: run `ast-grep scan -c {args.directory / 'sgconfig.yml'}`")
    return 0


def _fix(args: argparse.Namespace) -> int:
    import difflib

    from flake8_fastapi_prod.fixes import fix_source

    rules = [rule for rule in _effective(args).rules if rule.enabled]
    changed = remaining = 0
    for path in _python_files(args.paths):
        original = path.read_text(encoding="utf-8")
        result = fix_source(original, rules, str(path))
        for finding in result.unfixable:
            remaining += 1
            print(f"{path}:{finding.line}:{finding.column + 1}: {finding.text} (not fixed)")
        if result.source == original:
            continue
        changed += 1
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(
                original.splitlines(keepends=True), result.source.splitlines(keepends=True), str(path), str(path)))
        else:
            path.write_text(result.source, encoding="utf-8")
            print(f"{path}: fixed {len(result.fixed)} finding(s)")
    print(f"{changed} file(s) {'would be ' if args.diff else ''}changed, {remaining} finding(s) left to fix by hand",
          file=sys.stderr)
    return 1 if remaining or (args.diff and changed) else 0


def _profile(args: argparse.Namespace) -> int:
    import time

    from flake8_fastapi_prod.engine import PARSE, check_source

    rules = _effective(args).rules
    timings: dict[str, float] = {}
    files = lines = 0
    started = time.perf_counter()
    for path in _python_files(args.paths):
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        files, lines = files + 1, lines + source.count("\n")
        check_source(source, rules, timings, path=str(path))
    total = time.perf_counter() - started
    print(f"{files} files, {lines} lines, {total * 1000:.0f} ms in all (reading the files included)")
    print(f"{'rule':<8} {'ms':>9} {'share':>6}")
    for code, seconds in sorted(timings.items(), key=lambda item: -item[1]):
        label = "(parse)" if code == PARSE else code
        print(f"{label:<8} {seconds * 1000:9.1f} {seconds / total:6.1%}")
    return 0


def _python_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def _docs(args: argparse.Namespace) -> int:
    text = docs.rulebook_markdown(load_rulebooks([default_rulebook_path()]))
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current != text:
            print(f"{args.output} is stale: run `flake8-fastapi-prod docs --output {args.output}`", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


def _relative(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path
