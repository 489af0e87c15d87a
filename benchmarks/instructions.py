"""Instructions flake8 executes with and without the plugin, counted by valgrind: a figure
that the load of a shared machine cannot move.

    python benchmarks/instructions.py [--per-line] [PATH...]     # needs valgrind; ~20 minutes, ~30 with --per-line

On a shared machine two runs of the same flake8 command differ by more than the plugin
costs, so run.py's with/without rows cannot resolve 5%. Valgrind counts the instructions
a process executes, and with string hashing seeded the same (set order decides which
alternatives of tokenize's regular expressions are tried first) the same command gives
the same count to within 0.3%. Instructions are not seconds (cache
misses and branch mispredictions are not in them), but they are the work done, measured
the way benchmark harnesses on noisy CI machines do.

flake8 runs with ``--jobs 1`` and ``--jobs 2``. With two jobs its workers are forked, and a
forked process starts with its parent's counts. So the counting is done by callgrind, told
to write out and reset its counts each time a function named like `fork` is entered: a
worker then starts from zero, and the sum over every file written, by every process, is
each instruction once. The sum is the work done (what CPU time measures), not the
wall time, which also depends on how flake8 shares the files between its workers.

Two more variants split what the plugin adds:
- **no-op**: the plugin loaded but its checks skipped: its start-up, and flake8's own cost
  of calling a plugin on each file;
- **unreported**: the checks run but their findings dropped. With the plugin, flake8 also
  handles the findings: on the first finding in a file that has no other, it tokenizes the
  whole file again to map its `# noqa` comments; ``with - unreported`` is that cost;
- **findings-only**: only the files where the plugin reports something checked, the rest
  skipped unread: the least that reporting the true findings can cost.

Prints a table; run.py --instructions runs it on docs_src after its own rows.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402  (runs from anywhere)
    FLAKE8, HERE, PYTHON, compile_plugin, corpus, files_with_findings, real_code_file, real_code_modules,
)


def counting(which: str, targets: list[str], jobs: int = 1) -> Counting:
    """flake8 (``which`` variant) with ``jobs`` jobs under valgrind, started."""
    return Counting([PYTHON, "-c", FLAKE8, which, "--isolated", "--jobs", str(jobs), "--output-file", os.devnull,
                     *targets])


class Counting:
    """A command running under callgrind, and the instructions of all its processes once it ends."""

    def __init__(self, command: list[str]) -> None:
        self._scratch = tempfile.TemporaryDirectory()
        # The counts are written out, and reset, on entering fork (and the like, whatever
        # the C library calls them), so that a forked worker does not start with its
        # parent's counts; each process writes its own files (%p).
        self.process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--dump-before=*fork*",
             f"--callgrind-out-file={self._scratch.name}/callgrind.%p", *command],
            env={**os.environ, "PYTHONHASHSEED": "0"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )

    def instructions(self) -> int:
        """The instructions every process executed (waits for the command to end)."""
        _, errors = self.process.communicate()
        with self._scratch:
            if self.process.returncode not in (0, 1):  # flake8 exits 1 when it reports something
                raise SystemExit(f"the counted command failed ({self.process.returncode}):\n{errors[-2000:]}")
            totals = [int(line.split()[1]) for written in Path(self._scratch.name).iterdir()
                      for line in written.read_text(encoding="utf-8").splitlines() if line.startswith("totals:")]
        if not totals:
            raise SystemExit(f"callgrind wrote no counts:\n{errors[-2000:]}")
        return sum(totals)


def measure(variants: list[str], targets: list[str], jobs: int = 1) -> dict[str, int]:
    """Each variant counted, two at a time (the counts do not depend on the load)."""
    counts = {}
    for start in range(0, len(variants), 2):
        running = [(variant, counting(variant, targets, jobs)) for variant in variants[start:start + 2]]
        for variant, count in running:
            counts[variant] = count.instructions()
    return counts


def check_instructions(path: Path) -> int:
    """The instructions of one check of ``path`` by the engine alone, its rules already
    expanded: engine_only.py checking it twice, less checking it once."""
    engine = [PYTHON, str(HERE / "engine_only.py"), str(path), "--repeat"]
    once, twice = (Counting([*engine, str(n)]) for n in (1, 2))
    return twice.instructions() - once.instructions()


def per_line(docs_src: Path) -> None:
    """Instructions per line on files of 1k and 50k lines: the deterministic form of run.py's rows.

    The 50k-line file holds other modules than the 1k-line one, and more of what the rules
    look for, so its cost per line also says what it holds. Its modules checked as files of
    about 1k lines each (the same code, the same rules) tell that apart from the cost of
    size: the 50k-line file against the sum of its pieces."""
    with tempfile.TemporaryDirectory() as scratch:
        one_k = real_code_file(docs_src, 1000, Path(scratch) / "real_1000.py")
        repeated = Path(scratch) / "repeated_50.py"
        repeated.write_text(one_k.read_text(encoding="utf-8") * 50, encoding="utf-8")
        fifty_k = real_code_file(docs_src, 50_000, Path(scratch) / "real_50000.py")
        files = {"real code, 1k lines": one_k,
                 "real code, 50k lines": fifty_k,
                 "the 1k-line file 50 times over": repeated,
                 "the 50k-line file's modules, as 1k-line files": _pieces(docs_src, 50_000, Path(scratch) / "pieces")}
        title = "engine alone, one warm check (valgrind)"
        print(f"\n{title:<50} {'lines':>7} {'millions':>9} {'per line':>9} {'vs 1k':>6}")
        baseline = None
        counts = {}
        for name, path in files.items():
            count = counts[name] = check_instructions(path)
            sources = sorted(path.rglob("*.py")) if path.is_dir() else [path]
            lines = sum(source.read_text(encoding="utf-8").count("\n") for source in sources)
            baseline = baseline or count / lines
            print(f"{name:<50} {lines:7d} {count / 1e6:9.1f} {count / lines:9.0f} {count / lines / baseline:6.2f}")
        whole, pieces = counts["real code, 50k lines"], counts["the 50k-line file's modules, as 1k-line files"]
        print(f"{'the 50k-line file / the sum of its 1k-line pieces':<50} {whole / pieces:34.2f}")


def _pieces(docs_src: Path, lines: int, directory: Path) -> Path:
    """The modules of the ``lines``-line real-code file, written as files of about 1k lines each."""
    directory.mkdir()
    pieces: list[list[str]] = [[]]
    held = 0
    for module in real_code_modules(docs_src, lines):
        if held >= 1000:
            pieces.append([])
            held = 0
        pieces[-1].append(module)
        held += module.count("\n")
    for number, piece in enumerate(pieces):
        (directory / f"piece_{number:03d}.py").write_text("".join(piece), encoding="utf-8")
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-line", action="store_true", help="also instructions per line on 1k and 50k-line files")
    parser.add_argument("paths", nargs="*", help="what flake8 checks (default: the corpus's docs_src)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: no instruction counts")
    targets = args.paths or [str(corpus()["fastapi"] / "docs_src")]
    compile_plugin()
    with tempfile.TemporaryDirectory() as scratch:  # the steady state: the rulebook read from the cache
        empty = Path(scratch) / "empty.py"
        empty.write_text("")
        subprocess.run([PYTHON, "-c", FLAKE8, "with", "--isolated", str(empty)], check=False, capture_output=True)
        # The floor: only the files where the plugin reports something checked (run.py's row)
        os.environ["FAP_BENCH_FINDINGS"] = str(files_with_findings(targets, Path(scratch) / "findings.txt"))
        counts = measure(["with", "without", "no-op", "unreported", "findings-only"], targets)
    forked = measure(["with", "without"], targets, jobs=2)
    counts.update({f"{which}, --jobs 2": count for which, count in forked.items()})
    title = "flake8, instructions (valgrind), " + ", ".join(Path(target).name for target in targets)
    print(f"\n{title:<62} {'millions':>9} {'/ without':>9}")
    for which, count in counts.items():
        base = counts["without, --jobs 2" if "--jobs 2" in which else "without"]
        print(f"{'flake8 ' + which:<62} {count / 1e6:9.1f} {count / base:9.3f}")
    base = counts["without"]
    print("what the plugin adds with --jobs 1, as a share of flake8 without it:")
    parts = {
        "start-up, and flake8 calling it on each file (no-op - without)": counts["no-op"] - base,
        "its checks (unreported - no-op)": counts["unreported"] - counts["no-op"],
        "flake8 handling its findings (with - unreported)": counts["with"] - counts["unreported"],
        "only the files with findings checked (findings-only - without)": counts["findings-only"] - base,
    }
    for label, added in parts.items():
        print(f"  {label:<64} {added / base:7.3f}")
    if args.per_line:
        per_line(corpus()["fastapi"] / "docs_src")


if __name__ == "__main__":
    main()
