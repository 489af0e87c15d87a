"""Rule settings: declared with defaults by rules, set by teams, substituted into rule bodies.

A rule declares ``settings: {handled_exceptions: []}`` and uses ``${handled_exceptions}`` in
any string of its ``rule``: a string that is exactly ``${name}`` takes the value as it is
(a list stays a list, e.g. for ``imported:``); inside a longer string a list is joined with
``|`` (a regex alternation). ``disabled_when: {asyncio_mode: auto}`` drops a rule when a
setting has that value. Teams set values in a rulebook's top-level ``settings:``, per rule
in ``overrides:``, or in flake8's config (``fap-settings``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable, Iterable, Optional

_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


class SettingError(ValueError):
    pass


def parse_settings_text(text: str) -> dict[str, str]:
    """``name = value`` pairs, one per line or separated by ``;`` (flake8's config format)."""
    values: dict[str, str] = {}
    for item in (text or "").replace(";", "\n").split("\n"):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SettingError(f"fap-settings: {item.strip()!r} is not of the form name = value")
        values[name.strip()] = value.strip()
    return values


def coerce(name: str, value: Any, default: Any) -> Any:
    """``value`` (text from a config file, or YAML data) in the type of the declared default."""
    if not isinstance(value, str) or isinstance(default, str) or default is None:
        if isinstance(default, list) and not isinstance(value, list):
            raise SettingError(f"setting {name!r} takes a list")
        return value
    if isinstance(default, bool):
        if value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise SettingError(f"setting {name!r} takes true or false, not {value!r}")
    if isinstance(default, int):
        try:
            return int(value)
        except ValueError:
            raise SettingError(f"setting {name!r} takes a whole number, not {value!r}") from None
    if isinstance(default, list):
        return [item for item in re.split(r"[,\s]+", value) if item]
    return value


# Compiled when first needed: a flake8 process whose rulebook comes from the cache never
# substitutes settings, and compiling a regular expression costs ~0.2 ms at every start.
@lru_cache(maxsize=1)
def _reference() -> re.Pattern:
    return re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def references(node: Any) -> set[str]:
    """The setting names that ``${...}`` mentions anywhere in ``node``."""
    if isinstance(node, str):
        return set(_reference().findall(node))
    if isinstance(node, dict):
        return set().union(*(references(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(references(v) for v in node)) if node else set()
    return set()


def substitute(node: Any, values: dict[str, Any]) -> Any:
    """A copy of ``node`` with every ``${name}`` replaced by its setting's value."""
    if isinstance(node, str):
        whole = _reference().fullmatch(node)
        if whole:
            return values[whole.group(1)]
        return _reference().sub(lambda m: _as_text(values[m.group(1)]), node)
    if isinstance(node, dict):
        return {key: substitute(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [substitute(item, values) for item in node]
    return node


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return "|".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_disabled(disabled_when: dict[str, Any], values: dict[str, Any]) -> bool:
    """Whether any ``setting: value`` condition holds (values compared as text, any case)."""
    return is_disabled_by(conditions_on(disabled_when, disabled_when, values), lambda name: None)


# A condition of `disabled_when` as the engine tests it file by file: the setting, the
# values that turn the rule off (lowercase text), and the setting's value where the file
# gives none (lowercase text).
Condition = tuple[str, tuple[str, ...], str]


def conditions_on(disabled_when: dict[str, Any], names: Iterable[str], values: dict[str, Any]) -> tuple[Condition, ...]:
    """The conditions of ``disabled_when`` on the settings ``names``, with their ``values``."""
    return tuple(
        (name, tuple(sorted({_as_text(o).lower() for o in (wanted if isinstance(wanted, list) else [wanted])})),
         _as_text(values.get(name)).lower())
        for name, wanted in disabled_when.items() if name in names
    )


def is_disabled_by(conditions: tuple[Condition, ...], value_of: Callable[[str], Optional[str]]) -> bool:
    """Whether a condition holds of the values ``value_of`` gives (None: the setting's own)."""
    for name, wanted, otherwise in conditions:
        value = value_of(name)
        if (otherwise if value is None else value.lower()) in wanted:
            return True
    return False
