"""The options of the pytest configuration that applies to a file, read as pytest finds it.

A rule can take a setting from the project's pytest configuration when no team sets it
(``pytest_settings:``): pytest-asyncio's ``asyncio_mode = auto`` decides whether an
unmarked ``async def test_*`` runs at all, and projects say so to pytest, not to flake8.

pytest looks in a directory and then in each directory above it, and takes the first of
these that configures it: ``pytest.toml``, ``.pytest.toml``, ``pytest.ini``, ``.pytest.ini``
(each even when empty), ``pyproject.toml`` with a ``[tool.pytest.ini_options]`` or
``[tool.pytest]`` table, ``tox.ini`` with a ``[pytest]`` section, ``setup.cfg`` with a
``[tool:pytest]`` section. It starts from the directory of the paths it is given; here the
start is the directory of the file checked, as for ``pytest path/to/test_file.py``. An
option given in ``addopts`` (``--asyncio-mode=auto``) wins over the ini option, as on
pytest's command line. A file that cannot be read is passed over, and one that cannot be
parsed gives no options: pytest would stop with an error, and the rule keeps its default.
"""

from __future__ import annotations

import configparser  # flake8 has imported it to read its own configuration
import os
from typing import Any, Optional

# In the order pytest tries them in one directory: the file, and the table or section
# that makes it pytest's configuration ("" for any file of that name).
_CANDIDATES = (
    ("pytest.toml", ""), (".pytest.toml", ""), ("pytest.ini", ""), (".pytest.ini", ""),
    ("pyproject.toml", "tool.pytest"), ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest"),
)

Options = dict[str, Any]  # pytest's ini options: text from an ini file, TOML values from a TOML one

# `[tool.pytest]` or `[tool.pytest.ini_options]` as a table's header: how nearly every
# pyproject.toml configures pytest. Compiled when a pyproject.toml is first read.
_PYTEST_TABLE = r"^[ \t]*\[[ \t]*tool[ \t]*\.[ \t]*pytest[ \t]*(?:\.[ \t]*ini_options[ \t]*)?\]"
# The other ways TOML can write that table (a `[tool]` table, a dotted or inline key): a
# file that has none of them, and no header, does not configure pytest (most name pytest
# only as a dependency).
_OTHER_TOOL_TABLE = r"^[ \t]*\[[ \t]*tool[ \t]*\]|tool[ \t]*\.[ \t]*pytest|^[ \t]*tool[ \t]*="


class _Configuration:
    """A file that configures pytest: its text, read into options only when an option that
    may be in it is asked for (importing tomllib and parsing a pyproject.toml take ~1.5 ms,
    and most never name the option a rule asks for)."""

    def __init__(self, path: str, text: str, section: str, options: Optional[Options] = None) -> None:
        self.path = path
        self.text = text
        self.section = section  # the table or section that holds pytest's options ("" for pytest.*)
        self._options = options  # None until parsed

    def option(self, name: str) -> Optional[str]:
        flag = "--" + name.replace("_", "-")
        if name not in self.text and flag not in self.text:
            return None
        if self._options is None:
            self._options = _parsed(self.path, self.text, self.section) or {}
        value = _flag_value(_arguments(self._options.get("addopts")), flag)
        if value is None:
            value = self._options.get(name)
        if value is None or isinstance(value, (dict, list)):
            return None
        return str(value).strip()


_by_directory: dict[str, Optional[_Configuration]] = {}  # per process: a run checks many files of few directories


def pytest_option(name: str, path: str) -> Optional[str]:
    """The value of pytest's option ``name`` for the file at ``path`` (``stdin`` and ``-`` are
    in the working directory), as text: from ``addopts`` (``--name-with-dashes``), else from
    the ini option; None where the configuration does not set it or there is none."""
    configuration = _configuration_for(os.path.dirname(os.path.abspath(path)))
    return configuration.option(name) if configuration is not None else None


def _configuration_for(directory: str) -> Optional[_Configuration]:
    """The configuration found from ``directory`` up; None if there is none."""
    visited = []
    found: Optional[_Configuration] = None
    while True:
        if directory in _by_directory:
            found = _by_directory[directory]
            break
        visited.append(directory)
        found = _configuration_in(directory)
        parent = os.path.dirname(directory)
        if found is not None or parent == directory:
            break
        directory = parent
    for each in visited:  # the directories passed on the way share the answer
        _by_directory[each] = found
    return found


def _configuration_in(directory: str) -> Optional[_Configuration]:
    """The file in ``directory`` that configures pytest; None if none does."""
    for name, section in _CANDIDATES:
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8") as file:
                text = file.read()
        except (OSError, UnicodeDecodeError):
            continue
        found = _as_configuration(path, text, section)
        if found is not None:
            return found
    return None


def _as_configuration(path: str, text: str, section: str) -> Optional[_Configuration]:
    """The file at ``path`` as pytest's configuration; None if it does not configure pytest."""
    if not section:  # pytest.toml, pytest.ini: even when empty
        return _Configuration(path, text, section)
    if "pytest" not in text:
        return None
    if section == "tool.pytest":  # pyproject.toml: parsed here only if its table has no header
        import re

        if re.search(_PYTEST_TABLE, text, re.MULTILINE):
            return _Configuration(path, text, section)
        if not re.search(_OTHER_TOOL_TABLE, text, re.MULTILINE):
            return None
    options = _parsed(path, text, section)
    return _Configuration(path, text, section, options) if options is not None else None


def _parsed(path: str, text: str, section: str) -> Optional[Options]:
    """The options in ``text`` (the file at ``path``), in its ``section``; None if it has
    none or cannot be parsed (pytest would stop with an error)."""
    try:
        if path.endswith(".toml"):
            return _toml_options(text, section)
        return _ini_options(text, section)
    except (ValueError, configparser.Error):  # TOMLDecodeError is a ValueError
        return None


def _toml_options(text: str, table: str) -> Optional[Options]:
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[no-redef]
    data = tomllib.loads(text)
    if not table:  # pytest.toml: its [pytest] table, and the file counts even without one
        section = data.get("pytest")
        return dict(section) if isinstance(section, dict) else {}
    tool = data.get("tool")
    pytest_table = tool.get("pytest") if isinstance(tool, dict) else None
    if not isinstance(pytest_table, dict):
        return None
    ini_options = pytest_table.get("ini_options")
    return dict(ini_options) if isinstance(ini_options, dict) else pytest_table


def _ini_options(text: str, section: str) -> Optional[Options]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(text)
    if not section:  # pytest.ini: the file counts even without a [pytest] section
        return dict(parser["pytest"]) if parser.has_section("pytest") else {}
    return dict(parser[section]) if parser.has_section(section) else None


def _arguments(addopts: Any) -> list[str]:
    if isinstance(addopts, list):
        return [str(item) for item in addopts]
    if isinstance(addopts, str):
        import shlex  # only where a configuration has addopts

        try:
            return shlex.split(addopts)
        except ValueError:  # an unclosed quote: pytest could not read it either
            return []
    return []


def _flag_value(arguments: list[str], flag: str) -> Optional[str]:
    """The value of the last ``flag=value`` or ``flag value`` in ``arguments``, as argparse takes it."""
    value = None
    for index, argument in enumerate(arguments):
        if argument == flag and index + 1 < len(arguments):
            value = arguments[index + 1]
        elif argument.startswith(flag + "="):
            value = argument[len(flag) + 1:]
    return value
