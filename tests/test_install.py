"""A non-editable install in a fresh virtual environment carries the rulebook and works."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

from conftest import ROOT
from real_code import skip_if_registry_unreachable

PROBE = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"


def run(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_wheel_in_a_fresh_venv_reports_findings(tmp_path):
    wheels = tmp_path / "wheels"
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", wheels, ROOT)
    skip_if_registry_unreachable(built, "the build backend")
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("*.whl")
    assert "flake8_fastapi_prod/rules.yaml" in zipfile.ZipFile(wheel).namelist()

    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    installed = run(python, "-m", "pip", "install", "-q", wheel)
    skip_if_registry_unreachable(installed, "the dependencies")
    assert installed.returncode == 0, installed.stderr

    work = tmp_path / "project"
    work.mkdir()
    (work / "probe.py").write_text(PROBE)
    result = run(python, "-m", "flake8", "--isolated", "--select", "FAP", "probe.py", cwd=work)
    assert result.stdout.startswith("probe.py:5:5: FAP202 "), result.stdout + result.stderr
    assert result.returncode == 1
    location = run(python, "-c", "import flake8_fastapi_prod, sys; print(flake8_fastapi_prod.__file__)", cwd=work)
    assert str(env) in location.stdout, "the test must exercise the installed copy, not the checkout"
