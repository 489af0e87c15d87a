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
pytest's command line. A file that cannot be read or parsed is passed over: pytest would
stop with an error, and the rule then keeps its default.
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

_by_directory: dict[str, Optional[Options]] = {}  # per process: a run checks many files of few directories


def pytest_option(name: str, path: str) -> Optional[str]:
    """The value of pytest's option ``name`` for the file at ``path`` (``stdin`` and ``-`` are
    in the working directory), as text: from ``addopts`` (``--name-with-dashes``), else from
    the ini option; None where the configuration does not set it or there is none."""
    options = _options_for(os.path.dirname(os.path.abspath(path)))
    if not options:
        return None
    flag = "--" + name.replace("_", "-")
    value = _flag_value(_arguments(options.get("addopts")), flag)
    if value is None:
        value = options.get(name)
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value).strip()


def _options_for(directory: str) -> Optional[Options]:
    """The options of the configuration found from ``directory`` up; None if there is none."""
    visited = []
    found: Optional[Options] = None
    while True:
        if directory in _by_directory:
            found = _by_directory[directory]
            break
        visited.append(directory)
        found = _options_in(directory)
        parent = os.path.dirname(directory)
        if found is not None or parent == directory:
            break
        directory = parent
    for each in visited:  # the directories passed on the way share the answer
        _by_directory[each] = found
    return found


def _options_in(directory: str) -> Optional[Options]:
    """The options of the file in ``directory`` that configures pytest; None if none does."""
    for name, table in _CANDIDATES:
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            continue
        options = _read(path, table)
        if options is not None:
            return options
    return None


def _read(path: str, table: str) -> Optional[Options]:
    try:
        if path.endswith(".toml"):
            return _toml_options(path, table)
        return _ini_options(path, table)
    except (OSError, UnicodeDecodeError, ValueError, configparser.Error):  # TOMLDecodeError is a ValueError
        return None


def _toml_options(path: str, table: str) -> Optional[Options]:
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[no-redef]
    with open(path, "rb") as file:
        data = tomllib.load(file)
    if not table:  # pytest.toml: its [pytest] table, and the file counts even without one
        section = data.get("pytest")
        return dict(section) if isinstance(section, dict) else {}
    tool = data.get("tool")
    pytest_table = tool.get("pytest") if isinstance(tool, dict) else None
    if not isinstance(pytest_table, dict):
        return None
    ini_options = pytest_table.get("ini_options")
    return dict(ini_options) if isinstance(ini_options, dict) else pytest_table


def _ini_options(path: str, section: str) -> Optional[Options]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    with open(path, encoding="utf-8") as file:
        parser.read_file(file)
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
