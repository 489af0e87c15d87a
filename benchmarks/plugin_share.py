"""flake8 with the plugin, in one process: the time spent in the plugin's checks against the rest.

run.py's with/without comparison needs two processes, and on a shared machine two runs of
the same command differ by more than the plugin costs. Measured inside one flake8 run, both
sides see the same machine at the same moment, so this ratio is steady from run to run. Both
are CPU time of the one thread flake8 runs on with `--jobs 1`: time the virtual machine gives
to others counts on neither side.
Start-up (importing the plugin and loading the rulebook) is not in it; run.py's
one-module-on-stdin comparison shows that. Prints JSON.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Iterator

from flake8.main.cli import main as flake8_main

from flake8_fastapi_prod.plugin import FastAPIProdChecker

spent = 0.0
_run = FastAPIProdChecker.run


def timed_run(self: FastAPIProdChecker) -> Iterator[tuple]:
    global spent
    started = time.thread_time()
    results = list(_run(self))
    spent += time.thread_time() - started
    return iter(results)


def main(paths: list[str]) -> None:
    FastAPIProdChecker.run = timed_run
    started = time.thread_time()
    try:
        flake8_main(["--isolated", "--jobs", "1", "--output-file", "/dev/null", *paths])
    except SystemExit:
        pass
    total = time.thread_time() - started
    print(json.dumps({"flake8_seconds": total, "plugin_seconds": spent, "plugin_over_rest": spent / (total - spent)}))


if __name__ == "__main__":
    main(sys.argv[1:])
