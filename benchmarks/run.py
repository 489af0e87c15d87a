"""Benchmark: what the rule pack adds to flake8, and the engine against ast-grep's own CLI.

    python benchmarks/run.py [--runs 5]

Downloads a pinned corpus of real FastAPI code from PyPI (cached in benchmarks/.corpus),
then runs every comparison side by side, interleaved, --runs times, and prints medians and
ratios (no verdicts):
  - flake8 with the plugin / the same flake8 without it, --jobs 1 and --jobs 2, on the whole
    corpus and on docs_src alone, and the peak memory of both; and on one module piped to
    `flake8 -`, as an editor runs it on save; on docs_src, the same split in three: the
    plugin loaded but its checks skipped (start-up), its checks run but their findings
    dropped (start-up and checks), and everything (flake8's handling of the findings too);
    and the floor: only the files where the plugin reports something checked, the rest
    skipped unread (what the true findings cost at the least, start-up included), and the
    floor with the words of the rest read (the least a prefilter on words adds to it);
  - inside one flake8 process, the time of the plugin's checks / the rest of flake8 (the
    with/without ratio less start-up, measured where machine noise cannot skew it);
  - the engine alone / `ast-grep scan -j 1` with the exported rules, on the same files
    (docs_src: on the application code the relational export takes minutes);
  - cost per line, per KiB and per token on files of 1k, 10k and 50k lines, and on
    pathological inputs;
  - with --instructions, instructions.py: flake8's instructions with / without the plugin
    on docs_src, counted by valgrind (a figure machine load cannot move).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import tokenize
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / ".corpus"
PINS = {
    "fastapi": ("0.128.0", "sdist", "docs_src"),  # ~600 tutorial apps
    "prefect": ("3.9.1", "wheel", "prefect/server"),  # Prefect's FastAPI server
    "apache-airflow-core": ("3.3.2", "wheel", "airflow/api_fastapi"),  # Airflow's FastAPI API
}
PYTHON = sys.executable

# The same flake8, with or without this plugin: one wrapper, so both pay the same start-up.
# instructions.py also runs the plugin loaded with its checks skipped ("no-op"), and with
# its findings dropped ("unreported"), to split what the plugin adds. "findings-only" checks
# only the files listed in $FAP_BENCH_FINDINGS (those where the plugin reports something)
# and skips the rest unread: what reporting the true findings costs at the least.
# "findings-and-words" reads the words of the rest too (and nothing else): the least a
# prefilter that looks at every file's words can cost.
FLAKE8 = """
import sys
from flake8.plugins import finder
from flake8.main.cli import main
which = sys.argv.pop(1)
if which == "without":
    find = finder.find_plugins
    finder.find_plugins = lambda cfg, opts: [p for p in find(cfg, opts) if p.package != "flake8-fastapi-prod"]
elif which in ("no-op", "unreported"):
    from flake8_fastapi_prod.plugin import FastAPIProdChecker
    checks = FastAPIProdChecker.run
    FastAPIProdChecker.run = (lambda self: iter(())) if which == "no-op" else (lambda self: iter(list(checks(self))[:0]))
elif which in ("findings-only", "findings-and-words"):
    import os
    from flake8_fastapi_prod.plugin import FastAPIProdChecker
    from flake8_fastapi_prod.prefilter import words_of
    checks = FastAPIProdChecker.run
    with open(os.environ["FAP_BENCH_FINDINGS"], encoding="utf-8") as listed:
        holding = {os.path.abspath(line) for line in listed.read().splitlines()}
    read_words = which == "findings-and-words"
    def run(self):
        if os.path.abspath(self.filename) in holding:
            return checks(self)
        if read_words:
            words_of("".join(self.lines))
        return iter(())
    FastAPIProdChecker.run = run
sys.exit(main())
"""


def corpus() -> dict[str, Path]:
    """The pinned real code, downloaded once: {name: directory of .py files}."""
    CORPUS.mkdir(exist_ok=True)
    found = {}
    for package, (version, kind, inside) in PINS.items():
        target = CORPUS / f"{package}-{version}"
        if not target.is_dir():
            download = CORPUS / "downloads"
            flags = ["--no-binary", ":all:"] if kind == "sdist" else ["--only-binary", ":all:"]
            subprocess.run([PYTHON, "-m", "pip", "download", "-q", "--no-deps", *flags, f"{package}=={version}",
                            "-d", str(download)], check=True)
            (archive,) = [p for p in download.iterdir() if p.name.lower().replace("_", "-").startswith(f"{package}-{version}")]
            _unpack(archive, target, inside)
        found[package] = target
    return found


def _unpack(archive: Path, target: Path, inside: str) -> None:
    target.mkdir(parents=True)
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel:
            for name in wheel.namelist():
                if name.startswith(inside + "/") and name.endswith(".py"):
                    (target / name).parent.mkdir(parents=True, exist_ok=True)
                    (target / name).write_bytes(wheel.read(name))
    else:
        with tarfile.open(archive) as sdist:
            for member in sdist.getmembers():
                parts = member.name.split("/", 1)
                if member.isfile() and len(parts) == 2 and parts[1].startswith(inside + "/") and member.name.endswith(".py"):
                    (target / parts[1]).parent.mkdir(parents=True, exist_ok=True)
                    (target / parts[1]).write_bytes(sdist.extractfile(member).read())


def compile_plugin() -> None:
    """Write the plugin's bytecode, as installing it does. In an editable install where
    PYTHONDONTWRITEBYTECODE is set, every flake8 process would otherwise compile the plugin's
    sources (~25 ms). Forced: compileall judges a .pyc by its source's time alone, in whole
    seconds, while Python also checks the size, so a file edited in the second its .pyc was
    written would be compiled in every process, unnoticed (seen here: two modules, ~5 ms)."""
    import flake8_fastapi_prod

    compileall.compile_dir(str(Path(flake8_fastapi_prod.__file__).parent), quiet=1, force=True)


def timed(command: list[str], stdin: Path | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user and system, the workers flake8 waited for included) and
    peak resident memory (KiB) of one command, fed ``stdin`` if given."""
    started = time.perf_counter()
    with open(stdin or os.devnull, "rb") as feed:
        process = subprocess.Popen(command, stdin=feed, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(command)}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def interleaved(pairs: dict[str, tuple], runs: int) -> dict[str, dict[str, list]]:
    """Run each pair's two commands (with the pair's stdin file, if any) alternately
    (A B, then B A, ...) ``runs`` times."""
    samples = {name: {"a": [], "b": [], "a_cpu": [], "b_cpu": [], "a_mem": [], "b_mem": []} for name in pairs}
    for run in range(runs):
        for name, (a, b, *stdin) in pairs.items():
            order = [("a", a), ("b", b)] if run % 2 == 0 else [("b", b), ("a", a)]
            for side, command in order:
                seconds, cpu, memory = timed(command, *stdin)
                samples[name][side].append(seconds)
                samples[name][side + "_cpu"].append(cpu)
                samples[name][side + "_mem"].append(memory)
        print(f"  run {run + 1}/{runs} done", file=sys.stderr)
    return samples


def files_with_findings(targets: list[str], listing: Path) -> Path:
    """Write to ``listing`` the files in which flake8 reports the plugin's findings (its
    default rules), one path a line, and return it."""
    out = subprocess.run([PYTHON, "-m", "flake8", "--isolated", "--format", "%(code)s %(path)s", *targets],
                         capture_output=True, text=True)
    if out.returncode not in (0, 1):
        raise SystemExit(f"flake8 failed on {' '.join(targets)}:\n{out.stderr}")
    paths = {line.split(" ", 1)[1] for line in out.stdout.splitlines() if line.startswith("FAP")}
    listing.write_text("".join(f"{os.path.abspath(path)}\n" for path in sorted(paths)), encoding="utf-8")
    return listing


def engine_seconds(path: Path, repeat: int) -> dict:
    out = subprocess.run([PYTHON, str(HERE / "engine_only.py"), str(path), "--repeat", str(repeat)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def plugin_share(targets: list[str]) -> dict:
    out = subprocess.run([PYTHON, str(HERE / "plugin_share.py"), *targets], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


# The pathological files start like a FastAPI module, so that the rules run on them: a file
# in which no rule's words occur is not even parsed.
FASTAPI_HEADER = """\
from typing import Optional
from fastapi import FastAPI
from pydantic import BaseModel
import time

app = FastAPI()


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: Optional[dict] = None):
    time.sleep(1)
    raise ValueError(q)

"""


def token_count(path: Path) -> int | None:
    """Python's tokens in the file, as the tokenize module yields them; None if it cannot.

    A parser's work goes with the tokens, not the lines or bytes: 1,000 brackets are 1,000
    tokens in 2 KiB, where real code has one token in ~4 bytes. Per token, a file of brackets
    and real code can be compared. (From Python 3.12, tokenize refuses 200 nested brackets.)"""
    try:
        with path.open(encoding="utf-8") as source:
            return sum(1 for _ in tokenize.generate_tokens(source.readline))
    except (tokenize.TokenError, SyntaxError):
        return None


def real_code_file(source_dir: Path, lines: int, destination: Path) -> Path:
    """A file of about ``lines`` lines, made by concatenating real tutorial modules."""
    destination.write_text("".join(real_code_modules(source_dir, lines)), encoding="utf-8")
    return destination


def real_code_modules(source_dir: Path, lines: int) -> list[str]:
    """Real tutorial modules, in order (and again from the first), until they hold ``lines`` lines."""
    chunks, total = [], 0
    modules = [p.read_text(encoding="utf-8") for p in sorted(source_dir.rglob("*.py"))]
    modules = [m for m in modules if "__future__" not in m]
    while total < lines:
        for module in modules:
            chunks.append(module if module.endswith("\n") else module + "\n")
            total += module.count("\n") + 1
            if total >= lines:
                break
    return chunks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--instructions", action="store_true",
                        help="also count flake8's instructions with and without the plugin on docs_src "
                             "(instructions.py: needs valgrind, adds ~30 minutes)")
    args = parser.parse_args()
    code = corpus()
    docs_src = code["fastapi"] / "docs_src"
    everything = [str(docs_src), *(str(p) for name, p in code.items() if name != "fastapi")]
    scratch = tempfile.TemporaryDirectory(prefix="fap-bench-")  # the generated files; removed at exit
    work = Path(scratch.name)
    compile_plugin()
    ast_grep = shutil.which("ast-grep", path=str(Path(PYTHON).parent)) or shutil.which("ast-grep")
    subprocess.run([PYTHON, "-m", "flake8_fastapi_prod", "export-ast-grep", str(work / "sg")], check=True,
                   stdout=subprocess.DEVNULL)

    flake8 = lambda which, jobs, targets: [PYTHON, "-c", FLAKE8, which, "--isolated", "--jobs", str(jobs), *targets]  # noqa: E731
    pairs = {}
    for label, targets in (("whole corpus", everything), ("docs_src", [str(docs_src)])):
        for jobs in (1, 2):
            pairs[f"flake8 with / without plugin, --jobs {jobs}, {label}"] = (
                flake8("with", jobs, targets), flake8("without", jobs, targets))
        if label == "whole corpus":  # what an editor runs on every save: one module on stdin
            buffer = code["prefect"] / "prefect" / "server" / "api" / "flow_runs.py"
            pairs["flake8 with / without plugin, one module on stdin (editor)"] = (
                flake8("with", 1, ["-"]), flake8("without", 1, ["-"]), buffer)
        if label == "docs_src":  # where the gap is widest: how much of it is start-up, checks, findings
            pairs["  split: plugin loaded, checks skipped / without, --jobs 1"] = (
                flake8("no-op", 1, targets), flake8("without", 1, targets))
            pairs["  split: checks run, findings dropped / without, --jobs 1"] = (
                flake8("unreported", 1, targets), flake8("without", 1, targets))
            os.environ["FAP_BENCH_FINDINGS"] = str(files_with_findings(targets, work / "findings.txt"))
            pairs["  floor: only the files with findings checked / without"] = (
                flake8("findings-only", 1, targets), flake8("without", 1, targets))
            pairs["  floor, and the words of the other files read / without"] = (
                flake8("findings-and-words", 1, targets), flake8("without", 1, targets))
        if ast_grep and label == "docs_src":  # the exported relational rules take minutes on the rest
            pairs[f"engine alone / ast-grep scan -j 1, {label}"] = (
                [PYTHON, str(HERE / "engine_only.py"), *targets],
                [ast_grep, "scan", "-j", "1", "-c", str(work / "sg" / "sgconfig.yml"), "--json=compact", *targets])
    files = sum(1 for t in everything for _ in Path(t).rglob("*.py"))
    lines = sum(p.read_text(encoding="utf-8", errors="replace").count("\n") for t in everything for p in Path(t).rglob("*.py"))
    print(f"# {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"# corpus: {files} files, {lines} lines ({', '.join(f'{k}=={v[0]}' for k, v in PINS.items())}); {args.runs} interleaved runs")
    samples = interleaved(pairs, args.runs)

    # The ratio of the medians, and the median of each run's ratio (A and B ran side by side,
    # so a slow minute of the machine moves both): the second is steadier on a shared machine.
    print(f"\n{'comparison (wall seconds; then CPU seconds)':<62} {'A s':>7} {'B s':>7} {'A/B':>6}"
          f" {'A cpu':>7} {'B cpu':>7} {'A/B':>6} {'paired':>7}")
    for name, s in samples.items():
        a, b = statistics.median(s["a"]), statistics.median(s["b"])
        a_cpu, b_cpu = statistics.median(s["a_cpu"]), statistics.median(s["b_cpu"])
        paired = statistics.median(x / y for x, y in zip(s["a_cpu"], s["b_cpu"]))
        print(f"{name:<62} {a:7.2f} {b:7.2f} {a / b:6.2f} {a_cpu:7.2f} {b_cpu:7.2f} {a_cpu / b_cpu:6.2f} {paired:7.3f}")
    whole = samples["flake8 with / without plugin, --jobs 1, whole corpus"]
    extra = (statistics.median(whole["a_mem"]) - statistics.median(whole["b_mem"])) / 1024
    print(f"{'peak memory, flake8 with - without plugin, --jobs 1, whole corpus':<62} {extra:+7.1f} MB")

    print("\nInside one flake8 process (steady on a shared machine; start-up excluded):")
    for label, targets in (("whole corpus", everything), ("docs_src", [str(docs_src)])):
        runs = [plugin_share(targets) for _ in range(args.runs)]
        ratio = statistics.median(r["plugin_over_rest"] for r in runs)
        spread = ", ".join(f"{r['plugin_over_rest']:.3f}" for r in runs)
        print(f"{'plugin checks / the rest of flake8, ' + label:<62} {'':>7} {'':>7} {ratio:6.3f}  ({spread})")

    print(f"\n{'file':<50} {'lines':>7} {'KiB':>6} {'tokens':>7} {'ms':>8} {'us/line':>8} {'/line':>6} {'vs 1k':>6} {'/token':>6}")
    sizes = {f"real code, {n // 1000}k lines": real_code_file(docs_src, n, work / f"real_{n}.py") for n in (1000, 10000, 50000)}
    sizes["real code, 100k lines"] = real_code_file(docs_src, 100_000, work / "real_100000.py")
    # The same code at every size: more modules of docs_src bring rules that the first 1k lines
    # never run, so the rows above mix the file's size with what it holds.
    for times in (10, 50):
        repeated = work / f"repeated_{times}.py"
        repeated.write_text(sizes["real code, 1k lines"].read_text(encoding="utf-8") * times, encoding="utf-8")
        sizes[f"the 1k-line file {times} times over"] = repeated
    (work / "nested.py").write_text(FASTAPI_HEADER + "x = " + "[" * 1000 + "]" * 1000 + "\n")
    # The same brackets a line each: per line, the compact file above is 2,000 tokens on one
    # line, so only this layout compares its cost per line with real code's.
    (work / "nested_lines.py").write_text(FASTAPI_HEADER + "x = " + "[\n" * 1000 + "]\n" * 1000)
    (work / "literal.py").write_text(FASTAPI_HEADER + "x = [\n" + "".join(f"    {i},\n" for i in range(20_000)) + "]\n")
    (work / "flat.py").write_text(FASTAPI_HEADER + "x = [" + ", ".join(["[]"] * 1000) + "]\n")
    # A rule that searches the module from each candidate (FAP103/104's exemption for a
    # module-level SQLite URL) is quadratic in a file with many candidates, unless dropped.
    for count, name in ((100_000, "engines.py"), (1000, "engines_1k.py")):
        (work / name).write_text("from sqlalchemy import create_engine\n" + "".join(
            f"x{i} = create_engine(url)\n" if i % 100 == 0 else f"x{i} = {i}\n" for i in range(count)))
    sizes["an engine call every 100 lines, 100k lines"] = work / "engines.py"
    sizes["an engine call every 100 lines, 1k lines (control)"] = work / "engines_1k.py"
    # The same for FAP303's search for a `pydantic.v1` import, which the engine now asks of
    # the module once (module facts): 6.3 s for the 4,000 calls when made from each.
    for count, name in ((4000, "parse_obj.py"), (100, "parse_obj_100.py")):
        (work / name).write_text("from pydantic import BaseModel\n\n\nclass Model(BaseModel):\n    x: int\n\n\n" + "".join(
            f"v{i} = Model.parse_obj(d)\n" for i in range(count)))
    sizes["4,000 `Model.parse_obj(d)` lines (FAP303)"] = work / "parse_obj.py"
    sizes["100 such lines (control)"] = work / "parse_obj_100.py"
    sizes["1,000 nesting levels, after a 13-line route"] = work / "nested.py"
    sizes["the same, a bracket a line"] = work / "nested_lines.py"
    sizes["1,000 lists side by side, after it (control)"] = work / "flat.py"
    sizes["a 20,000-element literal, after a 13-line route"] = work / "literal.py"
    baseline = baseline_line = baseline_token = None
    for name, path in sizes.items():
        # Within a process, the median of repeated checks (about 100k lines' worth); across
        # processes, the median of the runs.
        repeat = max(1, 100_000 // max(1, path.read_text(encoding="utf-8").count("\n")))
        runs = [engine_seconds(path, min(repeat, 50)) for _ in range(args.runs)]
        seconds = statistics.median(r["check_seconds"] for r in runs)
        n_lines, kib = runs[0]["lines"], path.stat().st_size / 1024
        per_line = seconds / n_lines * 1e6
        per_kib = seconds / kib
        baseline = baseline or per_kib
        baseline_line = baseline_line or per_line
        tokens = token_count(path)
        per_token = seconds / tokens if tokens else None
        baseline_token = baseline_token or per_token
        by_token = f"{per_token / baseline_token:6.2f}" if per_token and baseline_token else f"{'n/a':>6}"
        print(f"{name:<50} {n_lines:7d} {kib:6.0f} {tokens or 0:7d} {seconds * 1000:8.1f} {per_line:8.2f}"
              f" {per_line / baseline_line:6.2f} {per_kib / baseline:6.2f} {by_token}")
    print("(/line: cost per line relative to the 1k-line file; vs 1k: per KiB of source, the same;"
          " /token: per token, the same)")
    shutil.rmtree(work)
    if args.instructions:  # last: it is deterministic, so it needs no interleaving with the rest
        subprocess.run([PYTHON, str(HERE / "instructions.py"), "--per-line", str(docs_src)], check=True)


if __name__ == "__main__":
    main()
