"""`flake8-fastapi-prod fix` on real files: the fixed file parses, lints clean, and stays put."""

from __future__ import annotations

import ast
import textwrap

from conftest import reported, run_cli, run_flake8

BEFORE = textwrap.dedent(
    '''\
    """Worker."""
    import time


    async def poll(delay):
        time.sleep(delay)
        results = [time.sleep(d) for d in (1, 2)]
        return results
    '''
)


def test_fix_writes_the_file_and_reports_what_it_could_not_fix(tmp_path):
    path = tmp_path / "worker.py"
    path.write_text(BEFORE)
    result = run_cli("fix", str(path))
    assert result.returncode == 1  # one finding is left to fix by hand
    assert f"{path}:8:16: FAP202 " in result.stdout and "(not fixed)" in result.stdout
    fixed = path.read_text()
    ast.parse(fixed)
    assert "    await asyncio.sleep(delay)\n" in fixed and "import time\nimport asyncio\n" in fixed
    lint = run_flake8("--select", "FAP", str(path))
    assert {(line, code) for _, line, _, code in reported(lint.stdout)} == {(8, "FAP202")}
    again = run_cli("fix", str(path))
    assert path.read_text() == fixed and "0 file(s) changed" in again.stderr


def test_diff_leaves_the_file_alone(tmp_path):
    path = tmp_path / "worker.py"
    path.write_text(BEFORE)
    result = run_cli("fix", "--diff", str(tmp_path))
    assert result.returncode == 1
    assert "+    await asyncio.sleep(delay)" in result.stdout and "-    time.sleep(delay)" in result.stdout
    assert path.read_text() == BEFORE


def test_nothing_to_fix(tmp_path):
    path = tmp_path / "clean.py"
    path.write_text("import asyncio\n\n\nasync def poll():\n    await asyncio.sleep(1)\n")
    result = run_cli("fix", str(path))
    assert result.returncode == 0 and result.stdout == ""
