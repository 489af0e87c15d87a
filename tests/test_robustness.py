"""No source file, however broken, empty, huge, deeply nested or oddly encoded, crashes flake8."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import reported, run_flake8
from flake8_fastapi_prod.engine import INTERNAL_ERROR_CODE, check_source
from flake8_fastapi_prod.model import Rule

ASYNC_SLEEP = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"

ODD_FILES = {
    "empty": b"",
    "only_newlines": b"\n\n\n",
    "only_bom": b"\xef\xbb\xbf",
    "syntax_error": b"async def broken(:\n    time.sleep(1)\n",
    "unterminated_string": b"x = '''never closed\n",
    "nul_bytes": b"import time\x00\nasync def f():\n    time.sleep(1)\n",
    "invalid_utf8": b"x = '\xff\xfe'\n" + ASYNC_SLEEP.encode(),
    "wrong_coding_cookie": b"# coding: no-such-codec\n" + ASYNC_SLEEP.encode(),
    "mixed_line_endings": ASYNC_SLEEP.replace("\n", "\r", 1).encode() + b"\r\nx = 1\n",
    "tabs": b"import time\nasync def f():\n\tx = 1\n\ttime.sleep(1)\n",
    # A flat 200,000-character line. (A long chain of `1 + 1 + ...` makes flake8's own
    # ast.parse raise RecursionError before any plugin runs: a flake8 limit, not ours.)
    "very_long_line": b"x = [" + b"1, " * 50_000 + b"]\n" + ASYNC_SLEEP.encode(),
    "deep_expression": b"x = " + b"(" * 1000 + b"1" + b")" * 1000 + b"\n",
    "deep_blocks": "".join("    " * i + "if x:\n" for i in range(150)).encode() + b"    " * 150 + b"pass\n",
}


@pytest.mark.parametrize("name", sorted(ODD_FILES))
def test_flake8_survives_odd_source_files(tmp_path, name):
    path = tmp_path / f"{name}.py"
    path.write_bytes(ODD_FILES[name])
    result = run_flake8(str(path))
    stderr = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr and result.returncode in (0, 1), stderr
    assert INTERNAL_ERROR_CODE not in result.stdout.decode("utf-8", "replace")


def test_deeply_nested_async_functions_are_checked(tmp_path):
    depth = 60
    lines = ["import time"]
    for level in range(depth):
        lines.append("    " * level + f"async def f{level}():")
    lines.append("    " * depth + "time.sleep(1)")
    path = tmp_path / "nested.py"
    path.write_text("\n".join(lines) + "\n")
    result = run_flake8("--select", "FAP", str(path))
    assert reported(result.stdout) == {(str(path), depth + 2, 4 * depth + 1, "FAP202")}


def test_large_file_reports_every_finding(tmp_path):
    blocks = 5_000  # 20,000 lines
    text = "import time\n" + "".join(f"async def f{i}():\n    x = {i}\n    time.sleep(x)\n\n" for i in range(blocks))
    path = tmp_path / "large.py"
    path.write_text(text)
    result = run_flake8("--select", "FAP", str(path))
    assert len(reported(result.stdout)) == blocks


def test_engine_failure_is_reported_once_and_other_rules_still_run():
    broken = Rule(code="FAP999", name="broken", message="never", body={"kind": "no_such_node_kind"})
    working = Rule(code="FAP998", name="calls", message="a call", body={"pattern": "time.sleep($$$)"})
    findings = check_source(ASYNC_SLEEP, [broken, working])
    assert [f.code for f in findings] == [INTERNAL_ERROR_CODE, "FAP998"]
    assert "rule FAP999" in findings[0].message and "no_such_node_kind" in findings[0].message


@pytest.mark.parametrize("source", ["", "   \n", "\ufeff", "pass"])
def test_engine_on_trivial_sources(rulebook, source):
    assert check_source(source, rulebook.rules) == []


def test_the_cli_stops_quietly_when_its_reader_goes_away(tmp_path):
    # `flake8-fastapi-prod profile src | head -3`: head exits before the profile is printed.
    (tmp_path / "app.py").write_text("import time\n\n\nasync def f():\n    time.sleep(1)\n" * 200)
    process = subprocess.Popen([sys.executable, "-m", "flake8_fastapi_prod", "profile", str(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # before anything is written
    _, stderr = process.communicate(timeout=300)
    assert b"Traceback" not in stderr and process.returncode == 1, stderr
