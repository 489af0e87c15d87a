"""The flake8 entry point: flake8 hands over the decoded lines, the plugin hands back findings.

flake8 does the rest as designed: decoding (coding cookies, BOM), stdin (``flake8 -``),
``# noqa``, ``--select``/``--ignore``, config files and the worker processes of ``--jobs``.
The plugin asks for ``tree``, Python's syntax tree of the file, to read the file's imports
without parsing it again; flake8 never calls it on a file CPython cannot parse (it reports
E999 for those), which also keeps tree-sitter away from inputs that could abort the process.
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path
from typing import Any, Iterator, Sequence

from flake8_fastapi_prod import __version__, cache
from flake8_fastapi_prod.engine import check_source
from flake8_fastapi_prod.errors import RulebookError
from flake8_fastapi_prod.model import Rule, Rulebook, default_rulebook_path
from flake8_fastapi_prod.settings import SettingError, parse_settings_text

_rulebook: Rulebook | None = None
# The rules flake8 will report, once its options are known: a tuple, which the engine
# recognises by its identity on every file.
_selected: tuple[Rule, ...] | None = None


def loaded_rulebook() -> Rulebook:
    """The effective rulebook of this process: loaded once (flake8's workers inherit or reload it)."""
    global _rulebook
    if _rulebook is None:
        _rulebook = load_or_exit([], "")
    return _rulebook


def load_or_exit(team_paths: Sequence[str], settings_text: str) -> Rulebook:
    # add_options needs the default rulebook before the options are known; parse_options
    # then asks again with the team files: without teams, that is the rulebook already loaded.
    if _rulebook is not None and not team_paths and not settings_text.strip():
        return _rulebook
    try:
        settings = parse_settings_text(settings_text)
        paths = [Path(p) for p in team_paths]
        rulebook = cache.load([default_rulebook_path(), *paths], settings)
        if rulebook is None:
            # Imported here: reading and checking YAML is needed only when the cache misses.
            from flake8_fastapi_prod.effective import load_effective_rulebook

            rulebook = load_effective_rulebook(paths, settings)
            cache.store([default_rulebook_path(), *paths], settings, rulebook)
        return rulebook
    except (RulebookError, SettingError) as error:
        # A clear message and a non-zero exit, never a traceback.
        raise SystemExit(f"flake8-fastapi-prod: the rulebook has errors:\n{error}") from None


class FastAPIProdChecker:
    name = "flake8-fastapi-prod"
    version = __version__

    def __init__(self, tree: ast.AST, lines: list[str], filename: str = "") -> None:
        self.tree = tree
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        option_manager.add_option(
            "--fap-rulebooks", default="", parse_from_config=True, comma_separated_list=True, normalize_paths=True,
            help="Team rulebooks (YAML) layered on the default rules, in order. In a config file, "
                 "relative paths are relative to that file. (Default: none)",
        )
        option_manager.add_option(
            "--fap-settings", default="", parse_from_config=True,
            help="Rule settings as 'name = value', one per line or separated by ';', "
                 "e.g. 'asyncio_mode = auto'. (Default: none)",
        )
        # Rules marked `enabled: false` are off by default the flake8 way; parse_options
        # corrects the list once the team rulebooks are known.
        option_manager.extend_default_ignore(_off_by_default(loaded_rulebook()))

    @classmethod
    def parse_options(cls, option_manager: Any, options: argparse.Namespace, args: Sequence[str]) -> None:
        global _rulebook, _selected
        defaults_off = _off_by_default(loaded_rulebook())
        _rulebook = load_or_exit(options.fap_rulebooks or [], options.fap_settings or "")
        ignored = options.extended_default_ignore
        ignored[:] = [code for code in ignored if code not in defaults_off] + _off_by_default(_rulebook)
        _selected = _rules_flake8_reports(_rulebook, options)

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        rules = _selected if _selected is not None else loaded_rulebook().rules
        for finding in check_source("".join(self.lines), rules, tree=self.tree, path=self.filename or "stdin"):
            yield finding.line, finding.column, finding.text, type(self)


def _rules_flake8_reports(rulebook: Rulebook, options: argparse.Namespace) -> tuple[Rule, ...] | None:
    """The rules to run: those whose codes flake8 would report with these options (running
    the others would cost time for findings flake8 drops), less the off-by-default rules
    that no select option names by their own code. A `# noqa` is per line, so it does not
    count here. None if flake8 cannot tell."""
    try:
        from flake8.style_guide import Decision, DecisionEngine

        decider = DecisionEngine(options)
        named = _named_codes(options)
        return tuple(
            rule for rule in rulebook.rules
            if decider.decision_for(rule.code) is Decision.Selected and (rule.enabled or rule.code in named)
        )
    except Exception:  # an older or newer flake8 without this API: run every rule
        return None


def _named_codes(options: argparse.Namespace) -> set[str]:
    """The codes written out in full in `select` or `extend-select`. To flake8, `--select FAP`
    selects the off-by-default codes too (an explicit select beats a default ignore); to its
    users it means "this pack", as flake8-bugbear leaves its opinionated B9 warnings out of
    `--select B`. So an off-by-default rule runs only when named by its code."""
    return {code.strip() for option in (options.select, options.extend_select) for code in option or ()}


def _off_by_default(rulebook: Rulebook) -> list[str]:
    return [rule.code for rule in rulebook.rules if not rule.enabled]
