"""Shared helpers: the default rulebook, and the real flake8 command run as a subprocess."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flake8_fastapi_prod import cache
from flake8_fastapi_prod.effective import Rulebook, load_rulebooks
from flake8_fastapi_prod.expectations import parse_expectations
from flake8_fastapi_prod.model import default_rulebook_path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE_APP = ROOT / "examples" / "app"
# A team rulebook of one rule, used wherever a test needs one.
NO_PRINT = textwrap.dedent(
    """\
    rules:
      - code: FAP901
        name: no-print-in-async
        message: print() in async code; use the logger
        note: print() writes to stdout unbuffered and unstructured; use logging.
        rule:
          pattern: print($$$)
          all:
            - matches: in-async-function
        examples:
          invalid:
            - |
              async def f():
                  print(1)  # expect: FAP901:5
          valid:
            - |
              def f():
                  print(1)
    """
)


_REPORT_LINE = re.compile(r"^(?P<path>.*?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<message>.*)$")


@pytest.fixture(scope="session", autouse=True)
def rulebook_cache_of_this_session(tmp_path_factory) -> Path:
    """The flake8 runs of the tests cache their rulebooks here, never in the user's cache."""
    directory = tmp_path_factory.mktemp("rulebook-cache")
    os.environ[cache.ENVIRONMENT_VARIABLE] = str(directory)
    return directory


@pytest.fixture(scope="session")
def rulebook() -> Rulebook:
    return load_rulebooks([default_rulebook_path()])


@functools.cache
def every_rule_selected() -> tuple[str, ...]:
    """flake8 options that report every rule of the default rulebook: `--select FAP` leaves
    out the off-by-default rules, which run only when named by their codes."""
    off = [rule.code for rule in load_rulebooks([default_rulebook_path()]).rules if not rule.enabled]
    return ("--select", "FAP", "--extend-select", ",".join(off))


def run_flake8(
    *args: str, cwd: Path | None = None, stdin: str | bytes | None = None, isolated: bool = True
) -> subprocess.CompletedProcess:
    """The installed flake8, as a user runs it; ``--isolated`` keeps config files out."""
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    return subprocess.run(
        [sys.executable, "-m", "flake8", *(["--isolated"] if isolated else []), *args],
        cwd=cwd, input=data, capture_output=True, timeout=300,
    )


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The ``flake8-fastapi-prod`` command, as ``python -m flake8_fastapi_prod``."""
    return subprocess.run([sys.executable, "-m", "flake8_fastapi_prod", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def reported(output: bytes | str) -> set[tuple[str, int, int, str]]:
    """flake8's default report as a set of (path, line, 1-based column, code)."""
    text = output.decode("utf-8") if isinstance(output, bytes) else output
    found = set()
    for line in text.splitlines():
        match = _REPORT_LINE.match(line)
        assert match, f"not a flake8 report line: {line!r}"
        found.add((match["path"], int(match["line"]), int(match["col"]), match["code"]))
    return found


def expected_in(path: Path, shown_as: str) -> set[tuple[str, int, int, str]]:
    """The ``# expect:`` comments of the file at ``path``, as ``reported`` gives flake8's
    findings for it when flake8 shows its path as ``shown_as``."""
    expectations = parse_expectations(path.read_text(encoding="utf-8"))
    assert all(e.column for e in expectations), f"{path}: end-to-end expectations must give columns"
    return {(shown_as, e.line, e.column, e.code) for e in expectations}
