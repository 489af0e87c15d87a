"""The plugin's engine alone on files or directories: prints JSON with the time it took.

Used by run.py beside `ast-grep scan -j 1`; the wall time of the whole process (start-up
included) is what run.py compares, `check_seconds` is the engine's own share.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from flake8_fastapi_prod.effective import load_effective_rulebook
from flake8_fastapi_prod.engine import check_source


def main(paths: list[str]) -> None:
    rules = load_effective_rulebook([]).rules
    files = [f for p in map(Path, paths) for f in (sorted(p.rglob("*.py")) if p.is_dir() else [p])]
    sources = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    started = time.perf_counter()
    findings = sum(len(check_source(source, rules)) for source in sources)
    elapsed = time.perf_counter() - started
    lines = sum(source.count("\n") for source in sources)
    print(json.dumps({"files": len(files), "lines": lines, "findings": findings, "check_seconds": elapsed}))


if __name__ == "__main__":
    main(sys.argv[1:])
