"""What both fuzz targets share: the default corpus folder, seeding it, starting atheris, and
removing the target's scratch folder once the fuzzer ends."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Callable

import atheris

ROOT = Path(__file__).resolve().parent.parent


def scratch_folder(target: str) -> Path:
    """A new folder for the files a target writes its inputs to; :func:`run` removes it."""
    return Path(tempfile.mkdtemp(prefix=f"{target}-"))


def run(argv: list[str], corpus_name: str, seed_corpus: Callable[[Path], None],
        test_one_input: Callable[[bytes], None], scratch: Path) -> None:
    given = [arg for arg in argv[1:] if not arg.startswith("-")]
    if not given:  # no corpus given: keep one in .cache/fuzz/<name>, which git ignores
        given = [str(ROOT / ".cache" / "fuzz" / corpus_name)]
        argv = [*argv, *given]
    if Path(given[0]).is_dir() or not Path(given[0]).exists():  # a corpus, not one input to replay
        seed_corpus(Path(given[0]))
    # libFuzzer ends the process with C's exit(), so neither atheris.Fuzz() returns nor
    # Python's atexit handlers run: the fuzzer runs in a child, and this process cleans up.
    child = os.fork()
    if child == 0:
        atheris.Setup(argv, test_one_input)
        atheris.Fuzz()
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except KeyboardInterrupt:  # the child has it too: libFuzzer stops and reports, then we clean up
            continue
    shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(os.waitstatus_to_exitcode(status))
