"""The plugin's engine alone on files or directories: prints JSON with the time it took.

Used by run.py beside `ast-grep scan -j 1`; the wall time of the whole process (start-up
included) is what run.py compares, `check_seconds` is the engine's own share: with
`--repeat N`, the median of N checks of the same files (short timings are noisy).

Each file's Python syntax tree is built before the clock starts and handed to the engine,
as flake8 hands it to the plugin (`python_parse_seconds` says what building them took; the
command line's own commands pay it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from flake8_fastapi_prod.effective import load_effective_rulebook
from flake8_fastapi_prod.engine import check_source
from flake8_fastapi_prod.imports import python_tree


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    rules = load_effective_rulebook([]).rules
    files = [f for p in map(Path, args.paths) for f in (sorted(p.rglob("*.py")) if p.is_dir() else [p])]
    sources = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    started = time.perf_counter()
    trees = [python_tree(source) for source in sources]
    python_parse = time.perf_counter() - started
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        findings = sum(len(check_source(source, rules, tree=tree)) for source, tree in zip(sources, trees))
        times.append(time.perf_counter() - started)
    lines = sum(source.count("\n") for source in sources)
    print(json.dumps({"files": len(files), "lines": lines, "findings": findings,
                      "check_seconds": statistics.median(times), "python_parse_seconds": python_parse}))


if __name__ == "__main__":
    main()
