"""The flake8 entry point: flake8 hands over the decoded lines, the plugin hands back findings.

flake8 does the rest as designed: decoding (coding cookies, BOM), stdin (``flake8 -``),
``# noqa``, ``--select``/``--ignore`` and the worker processes of ``--jobs``. The plugin asks
for ``tree`` only so that flake8 never calls it on a file CPython cannot parse (flake8 reports
E999 for those), which keeps tree-sitter away from inputs that could abort the process.
"""

from __future__ import annotations

import argparse
import ast
from typing import Any, Iterator

from flake8_fastapi_prod import __version__
from flake8_fastapi_prod.engine import check_source
from flake8_fastapi_prod.errors import RulebookError
from flake8_fastapi_prod.rulebook import Rulebook, default_rulebook_path, load_rulebooks

_rulebook: Rulebook | None = None


def loaded_rulebook() -> Rulebook:
    """The effective rulebook, loaded once per process (flake8's workers inherit or reload it)."""
    global _rulebook
    if _rulebook is None:
        _rulebook = _load_or_exit()
    return _rulebook


def _load_or_exit() -> Rulebook:
    try:
        return load_rulebooks([default_rulebook_path()])
    except RulebookError as error:
        # A clear message and a non-zero exit, never a traceback.
        raise SystemExit(f"flake8-fastapi-prod: the rulebook has errors:\n{error}") from None


class FastAPIProdChecker:
    name = "flake8-fastapi-prod"
    version = __version__

    def __init__(self, tree: ast.AST, lines: list[str], filename: str = "") -> None:
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        # Rules marked `enabled: false` are off by default the flake8 way: a user's
        # --extend-select (or an `ignore =` that replaces the default list) turns them on.
        off = [rule.code for rule in loaded_rulebook().rules if not rule.enabled]
        if off:
            option_manager.extend_default_ignore(off)

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        loaded_rulebook()

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        for finding in check_source("".join(self.lines), loaded_rulebook().rules):
            yield finding.line, finding.column, finding.text, type(self)
