"""Non-editable installs in fresh virtual environments carry the rulebook and work, with
the newest dependencies and with the oldest ones pyproject.toml allows."""

from __future__ import annotations

import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import EXAMPLE_APP, FIXTURES, ROOT, every_rule_selected, expected_in, reported
from real_code import skip_if_registry_unreachable
from test_rulebook_errors import BROKEN, write

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PROBE = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"


def run(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    wheels = tmp_path_factory.mktemp("wheels")
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", wheels, ROOT)
    skip_if_registry_unreachable(built, "the build backend")
    assert built.returncode == 0, built.stderr
    (found,) = wheels.glob("*.whl")
    return found


def fresh_venv_with(directory: Path, *requirements: object) -> Path:
    """A new virtual environment with ``requirements`` installed by pip: its ``bin``."""
    venv.create(directory, with_pip=True)
    installed = run(directory / "bin" / "python", "-m", "pip", "install", "-q", *requirements)
    skip_if_registry_unreachable(installed, "the dependencies")
    assert installed.returncode == 0, installed.stderr
    return directory / "bin"


def lowest_allowed(name: str) -> str:
    """The version ``name>=VERSION`` of pyproject.toml's dependencies allows at the least."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for requirement in project["dependencies"]:
        match = re.fullmatch(rf"{re.escape(name)}\s*>=\s*([0-9.]+)", requirement.partition(";")[0].strip())
        if match:
            return match.group(1)
    raise AssertionError(f"pyproject.toml gives {name} no lower bound")


def test_wheel_in_a_fresh_venv_reports_findings(wheel, tmp_path):
    assert "flake8_fastapi_prod/rules.yaml" in zipfile.ZipFile(wheel).namelist()
    bin_dir = fresh_venv_with(tmp_path / "venv", wheel)

    work = tmp_path / "project"
    work.mkdir()
    (work / "probe.py").write_text(PROBE)
    result = run(bin_dir / "python", "-m", "flake8", "--isolated", "--select", "FAP", "probe.py", cwd=work)
    assert result.stdout.startswith("probe.py:5:5: FAP202 "), result.stdout + result.stderr
    assert result.returncode == 1
    location = run(bin_dir / "python", "-c", "import flake8_fastapi_prod, sys; print(flake8_fastapi_prod.__file__)", cwd=work)
    assert str(tmp_path / "venv") in location.stdout, "the test must exercise the installed copy, not the checkout"


def test_the_oldest_ast_grep_py_and_flake8_allowed_run_every_rule_as_its_examples_say(wheel, tmp_path):
    """pyproject.toml's lower bounds are versions that work: ast-grep-py 0.31 and 0.32 flag
    FAP401 in handlers whose decorator catches everything, and up to 0.38 a broken rule's
    error leaves out part of ast-grep's message."""
    oldest = {name: lowest_allowed(name) for name in ("ast-grep-py", "flake8")}
    bin_dir = fresh_venv_with(tmp_path / "venv", wheel, *(f"{name}=={version}" for name, version in oldest.items()))
    versions = run(bin_dir / "python", "-m", "pip", "list", "--format", "freeze").stdout
    assert all(f"{name}=={version}" in versions for name, version in oldest.items()), versions

    # `check` runs every example of every rule on the engine installed.
    checked = run(bin_dir / "flake8-fastapi-prod", "check", ROOT / "rules.yaml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Each broken rulebook of test_rulebook_errors gets its message from the engine installed.
    for name, (text, message) in BROKEN.items():
        broken = write(tmp_path, name, text)
        checked = run(bin_dir / "flake8-fastapi-prod", "check", broken, cwd=tmp_path)
        assert checked.returncode == 1 and f"{broken}{message}" in checked.stdout, checked.stdout + checked.stderr

    # flake8 itself, the oldest allowed, on the files whose `# expect:` comments say what it reports.
    files = sorted(FIXTURES.glob("*.py")) + sorted(EXAMPLE_APP.glob("*.py"))
    result = run(bin_dir / "flake8", "--isolated", *every_rule_selected(), *(p.relative_to(ROOT) for p in files), cwd=ROOT)
    expected = set().union(*(expected_in(p, str(p.relative_to(ROOT))) for p in files))
    assert reported(result.stdout) == expected, result.stderr
