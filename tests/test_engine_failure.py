"""When the engine fails on a file, flake8 reports that file once (FAP001) and goes on with the others.

No rulebook can force such a failure (rules are validated when they are loaded), so a small
script patches the engine and then runs the real flake8 command, ``flake8.main.cli.main``,
in a subprocess. With ``--jobs 2`` the workers are forked from the patched process (the
default on Linux), so they fail the same way.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import reported
from flake8_fastapi_prod.engine import INTERNAL_ERROR_CODE

SCRIPT = '''
import sys

import flake8.main.cli
import flake8_fastapi_prod.engine as engine
from flake8_fastapi_prod.model import Rule

MARK = "# force-engine-failure"
mode, argv = sys.argv[1], sys.argv[2:]


class PanicException(BaseException):
    """What a Rust panic inside ast-grep raises (pyo3_runtime.PanicException): not an Exception."""


current = {"source": ""}
real_configs_for, real_root = Rule.configs_for, engine.tree_sitter_root


def configs_for(self, spell, *dropped):  # called for every rule that runs, inside the engine's try
    if mode == "every-rule" and MARK in current["source"]:
        raise RuntimeError("forced failure of every rule")
    if mode == "one-rule" and self.code == "FAP202" and MARK in current["source"]:
        raise RuntimeError("forced failure of FAP202")
    return real_configs_for(self, spell, *dropped)


def root(source):
    current["source"] = source
    if mode == "parse" and MARK in source:
        raise PanicException("forced panic while parsing")
    return real_root(source)


Rule.configs_for, engine.tree_sitter_root = configs_for, root
raise SystemExit(flake8.main.cli.main(argv))
'''

GOOD = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"  # FAP202 at 5:5
FAILING = (  # the mark on a line the rules need: the engine parses only the statements some rule needs
    "# a module the engine fails on\nimport time\nfrom sqlalchemy import create_engine\n\n"
    "engine = create_engine(URL)  # force-engine-failure\n\n\nasync def handler():\n    time.sleep(1)\n"
)  # normally FAP101, FAP103, FAP104 at 5:10 and FAP202 at 9:5


def run_patched_flake8(tmp_path: Path, mode: str, jobs: str) -> tuple[subprocess.CompletedProcess, Path]:
    script = tmp_path / "patched_flake8.py"
    script.write_text(SCRIPT)
    project = tmp_path / "project"
    project.mkdir()
    for name in ("a_good.py", "c_good.py", "d_good.py"):
        (project / name).write_text(GOOD)
    (project / "b_failing.py").write_text(FAILING)
    result = subprocess.run(
        [sys.executable, str(script), mode, "--isolated", "--select", "FAP,E9", "--jobs", jobs, "."],
        cwd=project, capture_output=True, text=True, timeout=300,
    )
    return result, project


def findings_of(result: subprocess.CompletedProcess, name: str) -> list[tuple[int, int, str]]:
    return sorted((line, col, code) for path, line, col, code in reported(result.stdout) if path == f"./{name}")


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("mode", ["parse", "one-rule"])
def test_a_failing_file_is_reported_once_and_the_others_still_are(tmp_path, mode, jobs):
    result, _ = run_patched_flake8(tmp_path, mode, jobs)
    assert "Traceback" not in result.stderr and result.returncode == 1, result.stderr
    for name in ("a_good.py", "c_good.py", "d_good.py"):
        assert findings_of(result, name) == [(5, 5, "FAP202")]
    failing = findings_of(result, "b_failing.py")
    assert [f for f in failing if f[2] == INTERNAL_ERROR_CODE] == [(1, 1, INTERNAL_ERROR_CODE)]
    internal = [line for line in result.stdout.splitlines()
                if line.startswith("./b_failing.py") and INTERNAL_ERROR_CODE in line]
    assert len(internal) == 1 and "failed on this file" in internal[0], result.stdout
    if mode == "one-rule":  # the other rules still report this file
        assert failing == [(1, 1, INTERNAL_ERROR_CODE), (5, 10, "FAP101"), (5, 10, "FAP103"), (5, 10, "FAP104")]
        assert "rule FAP202" in internal[0]
    else:
        assert failing == [(1, 1, INTERNAL_ERROR_CODE)]
        assert "parsing" in internal[0]


# Found by this test: check_source turned each failing rule into its own FAP001 (the
# messages named the rule, so the set of findings did not merge them), 29 lines at 1:1.
def test_a_file_on_which_every_rule_fails_is_reported_once(tmp_path):
    result, _ = run_patched_flake8(tmp_path, "every-rule", "1")
    assert "Traceback" not in result.stderr and result.returncode == 1, result.stderr
    for name in ("a_good.py", "c_good.py", "d_good.py"):
        assert findings_of(result, name) == [(5, 5, "FAP202")]
    internal = [line for line in result.stdout.splitlines() if line.startswith("./b_failing.py")]
    assert len(internal) == 1, "\n".join(internal)
    assert internal[0].startswith(f"./b_failing.py:1:1: {INTERNAL_ERROR_CODE} ") and "FAP101" in internal[0]
