"""Coverage-guided fuzz target for the rulebook loader: any bytes, as a rulebook file.

The first byte chooses how the file is loaded: as a team rulebook (even) or as a default one
(odd); the rest is the file. Either way it comes after a base rulebook holding the default
``utils:`` (so ``matches: in-async-function`` resolves) and goes through
``load_rulebooks``. The outcome must be one of:

- a :class:`RulebookError` whose every line names a file (``file[:line]: ...``);
- a rulebook keeping every rule the file declares (loaded, or turned off by a setting), each
  with a one-line message and a boolean ``enabled``, that the engine runs without FAP001.

Anything else (another exception, a rule lost, a load slower than ``-timeout``) is a crash.
Inputs that hit a bug already pinned by an xfail test in tests/test_rulebook_fuzz.py are let
through; set FAP_FUZZ_KNOWN_BUGS=crash to stop on them too.

Run it (atheris, libFuzzer's flags; see fuzz/README.md):

    python fuzz/fuzz_rulebook.py -max_total_time=600 -timeout=10   # corpus in .cache/fuzz/rulebook
    python fuzz/fuzz_rulebook.py crash-<sha1>                      # replay one input
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import atheris
from _runner import run, scratch_folder  # fuzz/ is on sys.path when a target runs as a script

ROOT = Path(__file__).resolve().parent.parent

with atheris.instrument_imports(include=["flake8_fastapi_prod", "yaml"]):
    import yaml

    from flake8_fastapi_prod.effective import load_rulebooks
    from flake8_fastapi_prod.engine import INTERNAL_ERROR_CODE, check_source
    from flake8_fastapi_prod.errors import RulebookError
    from flake8_fastapi_prod.yaml_source import load_yaml

WORK = scratch_folder("fuzz-rulebook")
BASE = WORK / "base.yaml"
PATH = WORK / "book.yaml"
# The C loader and dumper for this set-up: PyYAML's Python code is instrumented, hence slow.
LOADER, DUMPER = getattr(yaml, "CSafeLoader", yaml.SafeLoader), getattr(yaml, "CSafeDumper", yaml.SafeDumper)
DEFAULT = yaml.load((ROOT / "rules.yaml").read_text(encoding="utf-8"), Loader=LOADER)
BASE.write_text(yaml.dump({"utils": DEFAULT["utils"]}, Dumper=DUMPER, sort_keys=False), encoding="utf-8")
SAMPLE = (
    "import time, subprocess, requests, httpx, redis, asyncio, pytest\nfrom time import sleep as nap\n"
    "from fastapi import FastAPI, Depends, HTTPException\nfrom sqlalchemy import create_engine\n"
    "from sqlalchemy.orm import Session\n\nengine = create_engine('postgresql://db')\napp = FastAPI()\n\n\n"
    "@app.on_event('startup')\nasync def startup():\n    time.sleep(1)\n    nap(1)\n    print('up')\n"
    "    requests.get('http://x')\n    open('f').read()\n    subprocess.run(['ls'])\n\n\n"
    "@app.get('/items')\nasync def items(session: Session = Depends()):\n    try:\n        return 1\n"
    "    except Exception:\n        raise HTTPException(500)\n\n\n@pytest.fixture\ndef client():\n"
    "    yield httpx.Client(app=app)\n"
)

# (file, function) where a known, still open bug raises; each is pinned by an xfail(strict)
# test in tests/test_rulebook_fuzz.py. None is open now: the bugs this fuzzer found are fixed.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def known_bug(error: BaseException) -> str | None:
    if os.environ.get("FAP_FUZZ_KNOWN_BUGS") == "crash" or not isinstance(error, RuntimeError):
        return None
    last = traceback.extract_tb(error.__traceback__)[-1]
    return KNOWN_BUGS.get((Path(last.filename).name, last.name))


def TestOneInput(data: bytes) -> None:  # noqa: N802 (atheris's name)
    if not data:
        return
    as_team, text = data[0] % 2 == 0, data[1:]
    PATH.write_bytes(text)
    try:
        book = load_rulebooks([BASE, PATH], team_from=1 if as_team else None)
    except RulebookError as error:
        # Each problem names a file; its message may quote code over several lines.
        for problem in error.problems:
            if problem.file not in (str(PATH), str(BASE), "fap-settings") or not str(problem.message).strip():
                raise AssertionError(f"not a `file:line: problem`: {problem!r}") from None
        return
    except RuntimeError as error:
        if known_bug(error):
            return
        raise
    declared = {e["code"] for e in (load_yaml(PATH) or {}).get("rules") or [] if isinstance(e, dict)}
    loaded = {rule.code for rule in book.rules}
    if loaded | set(book.turned_off) != declared or len(loaded) != len(book.rules):
        raise AssertionError(f"declared {sorted(declared)}, loaded {sorted(loaded)}, turned off {book.turned_off}")
    for rule in book.rules:
        if not (isinstance(rule.message, str) and isinstance(rule.note, str) and isinstance(rule.enabled, bool)):
            raise AssertionError(f"{rule.code}: message {rule.message!r}, note {rule.note!r}, enabled {rule.enabled!r}")
        if not (rule.message.strip() and "\n" not in rule.message):
            raise AssertionError(f"{rule.code}: message {rule.message!r} is not one non-empty line")
    internal = [f for f in check_source(SAMPLE, book.rules) if f.code == INTERNAL_ERROR_CODE]
    if internal:
        raise AssertionError(f"a rule that loads fails on a file: {internal[0].message}")


def seed_corpus(directory: Path) -> None:
    """Each default rule as a rulebook of its own (default and team), and a team rulebook with overrides."""
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        return
    seeds = []
    for index, rule in enumerate(DEFAULT["rules"]):
        text = yaml.dump({"rules": [rule]}, Dumper=DUMPER, sort_keys=False)
        seeds.append(b"\x01" + text.encode())
        text = text.replace(rule["code"], f"FAP9{index:02d}")
        seeds.append(b"\x00" + text.encode())
    seeds.append(b"\x00" + b"overrides:\n  FAP202:\n    message: no sleeping\n  FAP203:\n    enabled: false\n"
                 b"settings:\n  asyncio_mode: auto\n")
    seeds.append(b"\x00a: &a [x, x]\nb: &b [*a, *a]\nrules: []\nutils:\n  u: &u {any: [{pattern: 'print($$$)'}]}\n"
                 b"  v: {any: [*u, *u]}\n")
    for index, seed in enumerate(seeds):
        (directory / f"seed-{index:03d}.yaml").write_bytes(seed)


def main(argv: list[str]) -> None:
    run(argv, "rulebook", seed_corpus, TestOneInput, WORK)


if __name__ == "__main__":
    main(sys.argv)
