"""The rulebook as data: what loading produces and what the engine, the CLI and the cache use.

This module imports nothing that reads YAML, so a flake8 process whose rulebook comes from
the cache never loads the YAML reader and the validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from flake8_fastapi_prod.branches import Branch, used_utils, without
from flake8_fastapi_prod.imports import Spell
from flake8_fastapi_prod.prefilter import Requirement
from flake8_fastapi_prod.regions import Reach
from flake8_fastapi_prod.screen import Screen, Tally
from flake8_fastapi_prod.shorthand import expand

_PACKAGE_DIR = Path(__file__).resolve().parent
_MAX_CONFIGS = 256  # per rule: the spellings most files share, without growing over a large tree


def default_rulebook_path() -> Path:
    """The bundled ``rules.yaml``: inside the installed package, or at the top of a checkout."""
    for candidate in (_PACKAGE_DIR / "rules.yaml", _PACKAGE_DIR.parent / "rules.yaml"):
        if candidate.is_file():
            return candidate
    return _PACKAGE_DIR / "rules.yaml"  # reported as unreadable by the loader


# Each class has a docstring: without one, @dataclass writes one from inspect.signature,
# which costs ~0.5 ms each time flake8 starts.
@dataclass
class Examples:
    """A rule's examples: snippets it must flag, snippets it must leave alone, fixes."""

    invalid: list[str] = field(default_factory=list)  # must be flagged on their `# expect:` lines
    valid: list[str] = field(default_factory=list)  # must not be flagged at all
    fixes: list[tuple[str, str]] = field(default_factory=list)  # (before, after) for the rule's fix


@dataclass
class Rule:
    """One rule as the engine runs it: its ast-grep rule and what the prefilter knows of it."""

    code: str
    name: str
    message: str
    body: dict[str, Any]  # the ast-grep `rule`, possibly using the `imported:` shorthand
    note: str = ""
    enabled: bool = True
    constraints: dict[str, Any] = field(default_factory=dict)
    utils: dict[str, Any] = field(default_factory=dict)  # only those the rule uses, global and local
    fix: Any = None  # ast-grep's fix: a template string or a mapping with `template`
    settings: dict[str, Any] = field(default_factory=dict)  # declared settings and their defaults
    disabled_when: dict[str, Any] = field(default_factory=dict)
    examples: Examples = field(default_factory=Examples)
    source: str = ""
    line: int = 0
    requirement: Requirement = True
    triggers: tuple[frozenset[str], ...] = ()  # sets of words, one of each must occur (requirements.triggers)
    imported_names: tuple[str, ...] = ()
    reach: Reach = None  # the statements a match needs (reach.reach); None: the whole file
    branches: tuple[Branch, ...] = ()  # those some files cannot use, with what a file needs for each
    screen: Optional[tuple[dict[str, Any], float]] = None  # its screen as written, and its share (screen.screen)
    _configs: dict[tuple, tuple] = field(default_factory=dict, repr=False, compare=False)  # a cache, not data
    screen_tally: Tally = field(default_factory=Tally, repr=False, compare=False)  # how its screen fares

    @property
    def family(self) -> str:
        return self.code[:4] + "xx"

    def config_for(self, spell: Spell) -> dict[str, Any]:
        """The plain ast-grep config for a file whose imports spell names as ``spell`` does."""
        return self.configs_for(spell)[0]

    def configs_for(
        self, spell: Spell, dropped: frozenset[tuple] = frozenset(),
    ) -> tuple[dict[str, Any], Optional[Screen]]:
        """The plain ast-grep config for a file whose imports spell names as ``spell`` does,
        without the ``dropped`` branches (:mod:`flake8_fastapi_prod.branches`), and its screen
        (:mod:`flake8_fastapi_prod.screen`), if it has one."""
        key = (tuple(spell(name) for name in self.imported_names), dropped)
        configs = self._configs.get(key)
        if configs is None:
            if len(self._configs) >= _MAX_CONFIGS:  # function-scoped imports make keys unique to a file
                self._configs.clear()
            body, utils = self.body, self.utils
            if dropped:
                body = without(body, dropped, ("rule",))
                utils = used_utils(body, {name: without(util, dropped, ("utils", name)) for name, util in utils.items()})
            config = {"rule": expand(body, spell)}
            if utils:
                config["utils"] = expand(utils, spell)
            if self.constraints:
                config["constraints"] = expand(self.constraints, spell)
            first = None
            if self.screen is not None:
                written, share = self.screen
                first = Screen({part: expand(value, spell) for part, value in written.items()}, share)
            configs = self._configs[key] = (config, first)
        return configs


@dataclass
class Rulebook:
    """The effective rules of a run: the default rulebook, team rulebooks and settings applied."""

    rules: list[Rule]  # every rule a flake8 run may report (on and off by default), settings applied
    files: list[str]
    settings: dict[str, Any] = field(default_factory=dict)  # the values set by teams and config
    turned_off: list[str] = field(default_factory=list)  # codes dropped by a setting (disabled_when)

    def rule(self, code: str) -> Rule:
        return next(r for r in self.rules if r.code == code)
