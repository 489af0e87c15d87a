"""The real flake8 command, run as a subprocess on fixture files with `# expect:` comments."""

from __future__ import annotations

import pytest

from conftest import EXAMPLE_APP, FIXTURES, ROOT, every_rule_selected, expected_in, reported, run_flake8

FIXTURE_FILES = sorted(FIXTURES.glob("*.py"))
EXAMPLE_FILES = sorted(EXAMPLE_APP.glob("*.py"))


@pytest.mark.parametrize("path", FIXTURE_FILES + EXAMPLE_FILES, ids=lambda p: p.name)
def test_flake8_reports_exactly_the_expected_findings(path):
    result = run_flake8(*every_rule_selected(), str(path.relative_to(ROOT)), cwd=ROOT)
    assert result.returncode == (1 if expected_in(path, "") else 0), result.stderr.decode()
    assert reported(result.stdout) == expected_in(path, str(path.relative_to(ROOT)))


def test_default_selection_leaves_off_by_default_rules_out():
    result = run_flake8("examples/app/main.py", cwd=ROOT)
    codes = {code for *_, code in reported(result.stdout) if code.startswith("FAP")}
    assert "FAP207" not in codes and "FAP405" not in codes and "FAP202" in codes
    result = run_flake8("--extend-select", "FAP207", "examples/app/main.py", cwd=ROOT)
    assert "FAP207" in {code for *_, code in reported(result.stdout)}


def test_stdin_is_linted_like_a_file():
    source = (FIXTURES / "async_blocking.py").read_text(encoding="utf-8")
    result = run_flake8("--select", "FAP", "-", stdin=source)
    assert reported(result.stdout) == expected_in(FIXTURES / "async_blocking.py", "stdin")
    named = run_flake8("--select", "FAP", "--stdin-display-name", "app/views.py", "-", stdin=source)
    assert reported(named.stdout) == expected_in(FIXTURES / "async_blocking.py", "app/views.py")


def test_jobs_2_gives_the_same_output_as_jobs_1():
    targets = ["tests/fixtures", "examples/app"]
    one = run_flake8("--select", "FAP", "--jobs", "1", *targets, cwd=ROOT)
    two = run_flake8("--select", "FAP", "--jobs", "2", *targets, cwd=ROOT)
    assert one.returncode == two.returncode == 1
    assert sorted(one.stdout.splitlines()) == sorted(two.stdout.splitlines())
    assert len(one.stdout.splitlines()) > 20


SOURCE_WITH_FINDING = "import time\n\n\nasync def handler():\n    x = 'é'; time.sleep(1)\n"


def test_crlf_line_endings(tmp_path):
    path = tmp_path / "crlf.py"
    path.write_bytes(SOURCE_WITH_FINDING.replace("\n", "\r\n").encode("utf-8"))
    result = run_flake8("--select", "FAP", str(path))
    assert reported(result.stdout) == {(str(path), 5, 14, "FAP202")}


def test_coding_cookie_and_latin1_text(tmp_path):
    path = tmp_path / "latin1.py"
    path.write_bytes(("# -*- coding: latin-1 -*-\n" + SOURCE_WITH_FINDING).encode("latin-1"))
    result = run_flake8("--select", "FAP", str(path))
    assert reported(result.stdout) == {(str(path), 6, 14, "FAP202")}


def test_utf8_bom(tmp_path):
    path = tmp_path / "bom.py"
    path.write_bytes(b"\xef\xbb\xbf" + SOURCE_WITH_FINDING.encode("utf-8"))
    result = run_flake8("--select", "FAP", str(path))
    assert reported(result.stdout) == {(str(path), 5, 14, "FAP202")}
