"""The rulebook exported as an ast-grep project gives the same findings under ast-grep's CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLE_APP, FIXTURES, ROOT, reported, run_cli, run_flake8

AST_GREP = shutil.which("ast-grep", path=str(Path(sys.executable).parent)) or shutil.which("ast-grep")
pytestmark = pytest.mark.skipif(AST_GREP is None, reason="ast-grep-cli (a test dependency) is not installed")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("ast-grep-project")
    result = run_cli("export-ast-grep", str(directory), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return directory


def ast_grep(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([AST_GREP, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_exported_project_layout(project, rulebook):
    assert (project / "sgconfig.yml").is_file()
    assert len(list((project / "rules").glob("*.yml"))) == len(rulebook.rules)
    assert len(list((project / "rule-tests").glob("*-test.yml"))) == len(rulebook.rules)
    for path in (project / "rules").glob("*.yml"):
        assert "imported" not in keys(yaml.safe_load(path.read_text())), f"{path.name} still uses the shorthand"


def keys(node) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for value in node.values() for k in keys(value)}
    if isinstance(node, list):
        return {k for item in node for k in keys(item)}
    return set()


def test_ast_grep_test_passes_on_the_exported_rule_tests(project, rulebook):
    result = ast_grep("test", "--skip-snapshot-tests", "--include-off", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    for rule in rulebook.rules:
        assert f"PASS {rule.code}" in result.stdout


def scan(project: Path, targets: list[Path]) -> set[tuple[str, int, int, str]]:
    result = ast_grep("scan", "-c", str(project / "sgconfig.yml"), "--json=compact", *map(str, targets), cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return {(m["file"], m["range"]["start"]["line"] + 1, m["range"]["start"]["column"] + 1, m["ruleId"])
            for m in json.loads(result.stdout)}


def test_parity_with_the_plugin_on_fixtures_and_the_example_app(project):
    targets = [p.relative_to(ROOT) for p in sorted(FIXTURES.glob("*.py")) + sorted(EXAMPLE_APP.glob("*.py"))]
    # ast-grep does not read flake8's `# noqa`; the plugin's defaults (FAP207 off) match `severity: off`.
    flake8 = run_flake8("--disable-noqa", *map(str, targets), cwd=ROOT)
    from_flake8 = {f for f in reported(flake8.stdout) if f[3].startswith("FAP")}
    assert len(from_flake8) > 25
    assert scan(project, targets) == from_flake8


def test_parity_with_the_plugin_on_fastapi_docs_src(project, request):
    from real_code import fastapi_sdist

    docs_src = fastapi_sdist(Path(request.config.cache.mkdir("real-code"))) / "docs_src"
    flake8 = run_flake8("--disable-noqa", ".", cwd=docs_src)  # default selection: FAP207/FAP405 off, as in ast-grep
    from_flake8 = {(path[2:], line, col, code) for path, line, col, code in reported(flake8.stdout) if code[:3] == "FAP"}
    # the cache lies under .pytest_cache, whose .gitignore ast-grep would otherwise respect
    result = ast_grep("scan", "-c", str(project / "sgconfig.yml"), "--json=compact", "--no-ignore", "parent",
                      "--no-ignore", "vcs", "--no-ignore", "dot", ".", cwd=docs_src)
    from_ast_grep = {(m["file"], m["range"]["start"]["line"] + 1, m["range"]["start"]["column"] + 1, m["ruleId"])
                     for m in json.loads(result.stdout)}
    assert len(from_flake8) > 20
    assert from_ast_grep == from_flake8
