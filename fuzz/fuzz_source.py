"""Coverage-guided fuzz target for the source path: any bytes, read the way flake8 reads a file.

The bytes go through flake8's own ``FileProcessor`` (coding cookie, BOM, latin-1 fallback,
universal newlines), then to the engine (``check_source``, as the fix command calls it, also
on files CPython rejects) and, when CPython parses them, to the plugin class as flake8 calls
it. A crash is any exception, an internal error (FAP001), a position outside the file, two
runs that differ, or a finding flake8 selects that the plugin does not report.

Run it (atheris, libFuzzer's flags; see fuzz/README.md):

    python fuzz/fuzz_source.py -max_total_time=600            # corpus in .cache/fuzz/source
    python fuzz/fuzz_source.py -max_total_time=10 -seed=1 DIR  # as the test does (an empty DIR is seeded)
    python fuzz/fuzz_source.py crash-<sha1>                    # replay one input
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import atheris
from _runner import run, scratch_folder  # fuzz/ is on sys.path when a target runs as a script

ROOT = Path(__file__).resolve().parent.parent

with atheris.instrument_imports(include=["flake8_fastapi_prod"]):
    from flake8_fastapi_prod.engine import INTERNAL_ERROR_CODE, check_source
    from flake8_fastapi_prod.plugin import FastAPIProdChecker, loaded_rulebook

from flake8.options.parse_args import parse_args  # noqa: E402
from flake8.processor import FileProcessor  # noqa: E402
from flake8.style_guide import Decision, DecisionEngine  # noqa: E402

_, OPTIONS = parse_args(["--isolated"])
DECIDER = DecisionEngine(OPTIONS)
RULES = loaded_rulebook().rules  # every rule, the off-by-default ones too
WORK = scratch_folder("fuzz-source")
PATH = WORK / "input.py"


def selected(code: str) -> bool:
    return DECIDER.decision_for(code) is Decision.Selected


def check_positions(findings, rows: list[str]) -> None:
    for finding in findings:
        if not (1 <= finding.line <= len(rows) and 0 <= finding.column <= len(rows[finding.line - 1].rstrip("\r\n"))):
            raise AssertionError(f"{finding} lies outside the file ({len(rows)} lines)")


def TestOneInput(data: bytes) -> None:  # noqa: N802 (atheris's name)
    PATH.write_bytes(data)
    lines = FileProcessor(str(PATH), OPTIONS).lines
    source = "".join(lines)
    findings = check_source(source, RULES)
    check_positions(findings, source.split("\n"))
    internal = [f for f in findings if f.code == INTERNAL_ERROR_CODE]
    if internal:
        raise AssertionError(f"the engine failed: {internal[0].message}")
    if check_source(source, RULES) != findings:
        raise AssertionError("two runs gave different findings")
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return  # flake8 reports E999 (or fails itself) and calls no tree plugin
    reported = [(line, column, text) for line, column, text, _ in FastAPIProdChecker(tree, lines, str(PATH)).run()]
    expected = [(f.line, f.column, f.text) for f in findings if selected(f.code)]
    if [r for r in reported if selected(r[2].split()[0])] != expected:
        raise AssertionError(f"the plugin reported {reported}, the engine found {expected}")


def seed_corpus(directory: Path) -> None:
    """The rulebook's own examples (code with findings) and a few odd files, once."""
    import yaml

    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        return
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    rulebook = yaml.load((ROOT / "rules.yaml").read_text(encoding="utf-8"), Loader=loader)
    snippets = [snippet for rule in rulebook["rules"] for key in ("invalid", "valid")
                for snippet in rule.get("examples", {}).get(key, [])]
    odd = [b"", b"\xef\xbb\xbfimport time\r\nasync def f():\r\n\ttime.sleep(1)\r", b"# coding: latin-1\nx = '\xe9'\n",
           b"x = 1\x00\n", b"async def f(:\n", b"x = " + b"(" * 300 + b")" * 300 + b"\n"]
    for index, snippet in enumerate([s.encode("utf-8") for s in snippets] + odd):
        (directory / f"seed-{index:03d}.py").write_bytes(snippet)


def main(argv: list[str]) -> None:
    run(argv, "source", seed_corpus, TestOneInput, WORK)


if __name__ == "__main__":
    main(sys.argv)
