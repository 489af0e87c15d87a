"""The default rulebook on FastAPI's own tutorial apps (docs_src of a pinned sdist)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from conftest import every_rule_selected, reported, run_flake8
from flake8_fastapi_prod.engine import INTERNAL_ERROR_CODE, check_source
from flake8_fastapi_prod.imports import python_tree
from real_code import fastapi_sdist


@pytest.fixture(scope="module")
def docs_src(request) -> Path:
    return fastapi_sdist(Path(request.config.cache.mkdir("real-code"))) / "docs_src"


@pytest.fixture(scope="module")
def findings(docs_src, rulebook) -> dict[str, set[tuple[int, int, str]]]:
    found = {}
    for path in sorted(docs_src.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        results = check_source(source, rulebook.rules, tree=python_tree(source))  # as flake8 calls it
        found[path.relative_to(docs_src).as_posix()] = {(f.line, f.column + 1, f.code) for f in results}
    return found


def test_every_tutorial_file_is_checked_without_an_internal_error(findings):
    assert len(findings) > 500
    assert not [path for path, found in findings.items() if any(code == INTERNAL_ERROR_CODE for *_, code in found)]


# Files read by hand: every finding below is real, and nothing else in them is.
HAND_CHECKED = {
    # a Postgres engine at import time with no pool settings
    "dependencies/tutorial013_an_py310.py": {(8, 10, "FAP101"), (8, 10, "FAP103"), (8, 10, "FAP104")},
    # a SQLite engine (sqlite_url constant, check_same_thread): FAP103/FAP104 leave it alone
    "sql_databases/tutorial001_py310.py": {(16, 10, "FAP101"), (31, 2, "FAP102")},
    "sql_databases/tutorial002_py310.py": {(33, 10, "FAP101"), (48, 2, "FAP102")},
    "events/tutorial001_py39.py": {(8, 2, "FAP102")},
    # a lifespan that creates no engine or client
    "events/tutorial003_py39.py": set(),
    # open() in a sync generator, time.sleep in sync code, file writes in sync background tasks
    "custom_response/tutorial008_py39.py": set(),
    "dependencies/tutorial014_an_py310.py": {(8, 10, "FAP101"), (8, 10, "FAP103"), (8, 10, "FAP104")},
    "background_tasks/tutorial002_py310.py": set(),
    "events/tutorial002_py39.py": {(6, 2, "FAP102")},
}


@pytest.mark.parametrize("path", sorted(HAND_CHECKED))
def test_hand_checked_files(findings, path):
    core = {f for f in findings[path] if f[2][3] in "12"}  # the FAP1xx and FAP2xx families
    assert core == HAND_CHECKED[path]


def test_all_findings_were_reviewed(findings):
    # Every finding on docs_src was read by hand except FAP405's (off by default; sampled):
    # a change in these counts means new findings to review.
    counts = Counter(code for found in findings.values() for *_, code in found)
    assert counts == {"FAP101": 10, "FAP102": 11, "FAP103": 2, "FAP104": 2, "FAP405": 450}


def test_prefilter_and_regions_change_no_finding_on_docs_src(docs_src, rulebook, findings):
    unfiltered = [r.replace(requirement=True, triggers=(), reach=None) for r in rulebook.rules]
    for path in sorted(docs_src.rglob("*.py")):
        results = check_source(path.read_text(encoding="utf-8"), unfiltered)
        assert {(f.line, f.column + 1, f.code) for f in results} == findings[path.relative_to(docs_src).as_posix()]


def test_flake8_command_on_docs_src_agrees_with_the_engine(docs_src, findings):
    result = run_flake8(*every_rule_selected(), ".", cwd=docs_src)
    assert b"Traceback" not in result.stderr
    from_flake8 = reported(result.stdout)
    expected = {(f"./{path}", line, col, code) for path, found in findings.items() for line, col, code in found}
    assert from_flake8 == expected
