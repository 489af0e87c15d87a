"""What both fuzz targets share: the default corpus folder, seeding it, starting atheris."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import atheris

ROOT = Path(__file__).resolve().parent.parent


def run(argv: list[str], corpus_name: str, seed_corpus: Callable[[Path], None],
        test_one_input: Callable[[bytes], None]) -> None:
    given = [arg for arg in argv[1:] if not arg.startswith("-")]
    if not given:  # no corpus given: keep one in .cache/fuzz/<name>, which git ignores
        given = [str(ROOT / ".cache" / "fuzz" / corpus_name)]
        argv = [*argv, *given]
    if Path(given[0]).is_dir() or not Path(given[0]).exists():  # a corpus, not one input to replay
        seed_corpus(Path(given[0]))
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()
