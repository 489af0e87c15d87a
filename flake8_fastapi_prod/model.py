"""The rulebook as data: what loading produces and what the engine, the CLI and the cache use.

This module imports nothing that reads YAML, so a flake8 process whose rulebook comes from
the cache never loads the YAML reader and the validation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, ClassVar, Optional, TypeVar

from flake8_fastapi_prod.branches import Branch, used_utils, without
from flake8_fastapi_prod.imports import Spell
from flake8_fastapi_prod.module_facts import ModuleFact
from flake8_fastapi_prod.prefilter import Requirement
from flake8_fastapi_prod.regions import Reach
from flake8_fastapi_prod.screen import Screen, Tally
from flake8_fastapi_prod.settings import Condition
from flake8_fastapi_prod.shorthand import expand

_PACKAGE_DIR = Path(__file__).resolve().parent
_MAX_CONFIGS = 256  # per rule: the spellings most files share, without growing over a large tree


def default_rulebook_path() -> Path:
    """The bundled ``rules.yaml``: inside the installed package, or at the top of a checkout."""
    for candidate in (_PACKAGE_DIR / "rules.yaml", _PACKAGE_DIR.parent / "rules.yaml"):
        if candidate.is_file():
            return candidate
    return _PACKAGE_DIR / "rules.yaml"  # reported as unreadable by the loader


_R = TypeVar("_R", bound="_Record")


class _Record:
    """What ``@dataclass`` would write for the classes below, written once: a dataclass writes
    and compiles its methods when its module is imported, which took ~15M instructions
    (~1.5 ms), a third of the plugin's start-up, in every flake8 process."""

    FIELDS: ClassVar[tuple[str, ...]] = ()  # the data: what is compared, shown and copied

    __hash__ = None  # type: ignore[assignment]  # mutable, so not hashable (as a dataclass)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(getattr(self, f) == getattr(other, f) for f in self.FIELDS)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{f}={getattr(self, f)!r}' for f in self.FIELDS)})"

    def replace(self: _R, **changes: Any) -> _R:
        """A copy with ``changes`` (as ``dataclasses.replace``); what a copy caches starts empty."""
        unknown = changes.keys() - set(self.FIELDS)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(sorted(unknown))}")
        return type(self)(**{**{f: getattr(self, f) for f in self.FIELDS}, **changes})


class Examples(_Record):
    """A rule's examples: snippets it must flag, snippets it must leave alone, fixes."""

    FIELDS = ("invalid", "valid", "fixes")

    def __init__(
        self, invalid: Optional[list[str]] = None, valid: Optional[list[str]] = None,
        fixes: Optional[list[tuple[str, str]]] = None,
    ) -> None:
        self.invalid = [] if invalid is None else invalid  # must be flagged on their `# expect:` lines
        self.valid = [] if valid is None else valid  # must not be flagged at all
        self.fixes = [] if fixes is None else fixes  # (before, after) for the rule's fix


class Rule(_Record):
    """One rule as the engine runs it: its ast-grep rule and what the prefilter knows of it."""

    FIELDS = (
        "code", "name", "message", "body", "note", "enabled", "constraints", "utils", "fix", "settings",
        "disabled_when", "examples", "source", "line", "requirement", "triggers", "imported_names", "reach",
        "branches", "screen", "module_facts", "pytest_settings", "pytest_off",
    )

    def __init__(
        self,
        code: str,
        name: str,
        message: str,
        body: dict[str, Any],  # the ast-grep `rule`, possibly using the `imported:` shorthand
        note: str = "",
        enabled: bool = True,
        constraints: Optional[dict[str, Any]] = None,
        utils: Optional[dict[str, Any]] = None,  # only those the rule uses, global and local
        fix: Any = None,  # ast-grep's fix: a template string or a mapping with `template`
        settings: Optional[dict[str, Any]] = None,  # declared settings and their defaults
        disabled_when: Optional[dict[str, Any]] = None,
        examples: Optional[Examples] = None,
        source: str = "",
        line: int = 0,
        requirement: Requirement = True,
        triggers: tuple[frozenset[str], ...] = (),  # sets of words, one of each must occur (requirements.triggers)
        imported_names: tuple[str, ...] = (),
        reach: Reach = None,  # the statements a match needs (reach.reach); None: the whole file
        branches: tuple[Branch, ...] = (),  # those some files cannot use, with what a file needs for each
        screen: Optional[tuple[dict[str, Any], float]] = None,  # its screen as written, and its share (screen.screen)
        module_facts: tuple[ModuleFact, ...] = (),  # searches of the module, asked once per file (module_facts)
        pytest_settings: tuple[str, ...] = (),  # settings a file's pytest configuration gives where no team does
        # What turns the rule off by file: the conditions of `disabled_when` on those of its
        # pytest_settings that no team set (settings.conditions_on).
        pytest_off: tuple[Condition, ...] = (),
    ) -> None:
        self.code = code
        self.name = name
        self.message = message
        self.body = body
        self.note = note
        self.enabled = enabled
        self.constraints = {} if constraints is None else constraints
        self.utils = {} if utils is None else utils
        self.fix = fix
        self.settings = {} if settings is None else settings
        self.disabled_when = {} if disabled_when is None else disabled_when
        self.examples = Examples() if examples is None else examples
        self.source = source
        self.line = line
        self.requirement = requirement
        self.triggers = triggers
        self.imported_names = imported_names
        self.reach = reach
        self.branches = branches
        self.screen = screen
        self.module_facts = module_facts
        self.pytest_settings = pytest_settings
        self.pytest_off = pytest_off
        self._start_caches()

    # What the engine may read of a rule before a file gets as far as the rule's search. The
    # rest (the ast-grep rule itself, its branches, screen and module facts, its examples and
    # note) is read only there, or by the command line: see :meth:`deferred`.
    PER_FILE_FIELDS: ClassVar[tuple[str, ...]] = (
        "code", "name", "message", "enabled", "requirement", "triggers", "imported_names", "reach", "pytest_off",
    )

    _rest: Optional[Callable[[], dict[str, Any]]] = None  # what makes the deferred fields, until it has

    @classmethod
    def deferred(cls, per_file: dict[str, Any], rest: Callable[[], dict[str, Any]]) -> Rule:
        """A rule with the :data:`PER_FILE_FIELDS` given, whose other fields ``rest()`` makes
        when one is first read. A flake8 process whose rulebook comes from the cache builds
        the objects of the rules its files need, not those of all the rules: fewer objects
        to load, for the collector to walk during the run and to free at exit."""
        rule = cls.__new__(cls)
        for name, value in per_file.items():
            setattr(rule, name, value)
        rule._rest = rest
        rule._start_caches()
        return rule

    def _start_caches(self) -> None:
        """What the engine keeps on a rule as it runs: not data, and empty in every new rule."""
        self._configs: dict[tuple, tuple] = {}
        self.screen_tally = Tally()  # how its screen fares

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


class _Deferred:
    """A field of a rule made by :meth:`Rule.deferred`: the first read builds every deferred
    field into the rule's own attributes, which Python finds before this descriptor from
    then on. (A ``__getattr__`` would do the same, but on every attribute read of every
    rule: CPython does not specialise attribute reads on a class that has one, which cost
    ~5 ms of a flake8 run on docs_src.)"""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, rule: Optional[Rule], owner: Optional[type] = None) -> Any:
        if rule is None:
            return self
        rest = rule._rest
        if rest is None:  # a rule made by Rule() has every field
            raise AttributeError(f"'Rule' object has no attribute {self.name!r}")
        fields = rest()
        rule._rest = None
        # Set one by one, never through `rule.__dict__`: once an object's __dict__ is asked
        # for, CPython 3.11 reads each of its attributes ~3 times slower.
        for name, value in fields.items():
            setattr(rule, name, value)
        return getattr(rule, self.name)


# The fields that Rule.deferred leaves to `rest()`.
DEFERRED_FIELDS = tuple(name for name in Rule.FIELDS if name not in Rule.PER_FILE_FIELDS)
for _name in DEFERRED_FIELDS:
    setattr(Rule, _name, _Deferred(_name))


class Rulebook(_Record):
    """The effective rules of a run: the default rulebook, team rulebooks and settings applied."""

    FIELDS = ("rules", "files", "settings", "turned_off")

    def __init__(
        self, rules: list[Rule], files: list[str], settings: Optional[dict[str, Any]] = None,
        turned_off: Optional[list[str]] = None,
    ) -> None:
        self.rules = rules  # every rule a flake8 run may report (on and off by default), settings applied
        self.files = files
        self.settings = {} if settings is None else settings  # the values set by teams and config
        self.turned_off = [] if turned_off is None else turned_off  # codes dropped by a setting (disabled_when)

    def rule(self, code: str) -> Rule:
        return next(r for r in self.rules if r.code == code)
