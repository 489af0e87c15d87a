"""Pinned real FastAPI code from PyPI, downloaded once and cached between test runs."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

FASTAPI_VERSION = "0.128.0"


_UNREACHABLE = ("NewConnectionError", "Temporary failure in name resolution", "Network is unreachable",
                "Could not fetch", "ConnectTimeout", "Max retries exceeded", "No matching distribution")


def skip_if_registry_unreachable(result: subprocess.CompletedProcess, what: str) -> None:
    """Skip, saying why, when pip failed because the package registry could not be reached."""
    if result.returncode != 0 and any(sign in result.stderr for sign in _UNREACHABLE):
        pytest.skip(f"the package registry could not be reached for {what}: " + " ".join(result.stderr.split()[-20:]))


def fastapi_sdist(cache_dir: Path) -> Path:
    """The unpacked FastAPI sdist (with its ~600 tutorial apps in docs_src/)."""
    unpacked = cache_dir / f"fastapi-{FASTAPI_VERSION}"
    if (unpacked / "docs_src").is_dir():
        return unpacked
    archive = cache_dir / f"fastapi-{FASTAPI_VERSION}.tar.gz"
    if not archive.is_file():
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             f"fastapi=={FASTAPI_VERSION}", "-d", str(cache_dir)],
            capture_output=True, text=True, timeout=300,
        )
        skip_if_registry_unreachable(result, f"fastapi=={FASTAPI_VERSION}")
        assert result.returncode == 0 and archive.is_file(), result.stderr
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.isfile() and not m.name.startswith(("/", ".."))]
        tar.extractall(cache_dir, members=members)
    return unpacked
