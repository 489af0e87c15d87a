"""Property-based tests: no source, however generated or mangled, crashes the plugin or loses a finding.

Inputs reach the plugin the way flake8 hands them over: the bytes are written to a file and
flake8's own ``FileChecker`` decodes them (coding cookie, BOM, latin-1 fallback, universal
newlines), builds the tree and calls the plugin through its plugin interface, so an exception
out of ``run()`` surfaces as flake8's ``PluginExecutionFailed``. A file CPython rejects gets
E999 and no plugin call, as in flake8; the engine (``check_source``) is then also called on it
directly, as the fix command and other direct users do.

Every property checks the same things: nothing raises; every reported (line, column) lies
inside the file; a second run gives the same findings; the plugin reports exactly what the
engine finds (nothing lost between them); no FAP001 (an internal failure) on text flake8 can
hand over. ``test_flake8_jobs_1_and_2_agree`` runs the real command, ``--jobs 1`` against
``--jobs 2``.

The examples are fixed (derandomized, no example database) so that CI is reproducible and
fast. By hand: ``FAP_PROPERTY_SCALE=20 FAP_PROPERTY_RANDOM=1 python -m pytest
tests/test_properties.py --hypothesis-show-statistics`` runs 20 times as many new examples
(see fuzz/README.md).
"""

from __future__ import annotations

import ast
import os
import random
import re
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import hypothesmith
import pytest
from flake8.checker import FileChecker
from flake8.options.parse_args import parse_args
from flake8.plugins.finder import Checkers
from flake8.processor import FileProcessor
from flake8.style_guide import Decision, DecisionEngine
from hypothesis import HealthCheck, Phase, assume, given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from flake8_fastapi_prod.engine import INTERNAL_ERROR_CODE, Finding, check_source
from flake8_fastapi_prod.plugin import FastAPIProdChecker, loaded_rulebook
from real_code import fastapi_sdist

SCALE = int(os.environ.get("FAP_PROPERTY_SCALE", "1"))
RANDOM = os.environ.get("FAP_PROPERTY_RANDOM") == "1"


PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]  # no slow "explain"


def budget(examples: int) -> settings:
    return settings(max_examples=examples * SCALE, deadline=None, derandomize=not RANDOM, database=None,
                    suppress_health_check=list(HealthCheck), phases=PHASES)


ASYNC_SLEEP = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"  # FAP202 at (5, 4)
HEADER = "from fastapi import FastAPI\nimport time, requests, httpx, redis, subprocess, shutil\n"


# -- flake8's side: decode, parse, call the plugin ---------------------------------------------


@dataclass
class Checked:
    lines: list[str]  # as flake8 decoded them
    findings: list[tuple[int, int, str]] | None  # (line, column, "CODE message"); None: plugin not called
    why_not_called: str = ""


class Flake8:
    """flake8's own per-file machinery with only this plugin loaded (no pycodestyle, no pyflakes)."""

    def __init__(self, directory: Path) -> None:
        plugins, self.options = parse_args(["--isolated"])
        tree = [p for p in plugins.checkers.tree if p.entry_name == "FAP"]
        assert tree, "the FAP plugin is not registered with flake8"
        self.checkers = Checkers(tree=tree, logical_line=[], physical_line=[])
        self.path = directory / "input.py"
        self.decider = DecisionEngine(self.options)

    def reported(self, findings) -> list[tuple[int, int, str]]:
        """What flake8 would show of these: the codes it selects (FAP405 and FAP207 are off by default)."""
        return [f for f in findings if self.decider.decision_for(f[2].split()[0]) is Decision.Selected]

    def check(self, data: bytes) -> Checked:
        self.path.write_bytes(data)
        checker = FileChecker(filename=str(self.path), plugins=self.checkers, options=self.options)
        assert checker.processor is not None
        lines = list(checker.processor.lines)
        if not checker.should_process:
            return Checked(lines, None, "flake8: noqa")
        try:
            checker.run_ast_checks()  # flake8 wraps an exception from the plugin in PluginExecutionFailed
        except (SyntaxError, tokenize.TokenError) as error:  # flake8 reports E999/E902, calls no tree plugin
            return Checked(lines, None, type(error).__name__)
        except (RecursionError, MemoryError) as error:  # flake8's own ast.parse, before any plugin
            return Checked(lines, None, f"flake8 itself: {type(error).__name__}")
        return Checked(lines, [(line, column, f"{code} {text}") for code, line, column, text, _ in checker.results])


@pytest.fixture(scope="module")
def flake8(tmp_path_factory) -> Flake8:
    return Flake8(tmp_path_factory.mktemp("properties"))


class Listed(list):
    """A list with a short repr: hypothesis prints the arguments of a failing example."""

    def __init__(self, items, what: str) -> None:
        super().__init__(items)
        self.what = what

    def __repr__(self) -> str:
        return f"<{len(self)} {self.what}>"


@pytest.fixture(scope="module")
def rules() -> Listed:
    return Listed(loaded_rulebook().rules, "rules of the default rulebook")


@pytest.fixture(scope="module")
def real_files(request) -> Listed:
    sdist = fastapi_sdist(Path(request.config.cache.mkdir("real-code")))
    files = Listed(sorted(sdist.rglob("*.py")), "files of the FastAPI sdist")
    assert len(files) > 500
    return files


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def assert_inside(findings: list[Finding], text: str) -> None:
    """Every position names a character of ``text`` (rows split on \\n, as tree-sitter and flake8 do)."""
    rows = text.split("\n")
    for finding in findings:
        assert 1 <= finding.line <= len(rows), finding
        assert 0 <= finding.column <= len(rows[finding.line - 1].rstrip("\r")), finding


def assert_engine_sound(text: str, rules) -> list[Finding]:
    """The engine on any text: no exception, positions inside, deterministic, FAP001 only for unencodable text."""
    first = check_source(text, rules)
    assert check_source(text, rules) == first
    assert_inside(first, text)
    if encodable(text):
        assert not [f for f in first if f.code == INTERNAL_ERROR_CODE], first
    return first


def assert_plugin_sound(flake8: Flake8, data: bytes, rules) -> Checked:
    checked = flake8.check(data)
    if currently_in_test_context():
        note(f"plugin called: {checked.findings is not None} {checked.why_not_called}")
    text = "".join(checked.lines)
    engine = assert_engine_sound(text, rules)  # also on files CPython rejects: direct users call it
    if checked.findings is not None:
        assert flake8.check(data).findings == checked.findings  # two runs, same findings
        assert flake8.reported(checked.findings) == flake8.reported([(f.line, f.column, f.text) for f in engine])
        for line, column, _ in checked.findings:
            assert 1 <= line <= len(checked.lines)
            assert 0 <= column <= len(checked.lines[line - 1].rstrip("\n"))
    return checked


# -- generated programs --------------------------------------------------------------------------


@budget(30)
@given(program=hypothesmith.from_grammar(), header=st.sampled_from(["", HEADER]))
def test_generated_programs(flake8, rules, program, header):
    assert_plugin_sound(flake8, (header + program).encode("utf-8", "surrogatepass"), rules)


@budget(30)
@given(program=hypothesmith.from_grammar())
def test_a_known_finding_survives_any_program_before_it(flake8, rules, program):
    # A valid module followed by ASYNC_SLEEP: FAP202 must still be reported, lines shifted.
    if program and not program.endswith("\n"):
        program += "\n"
    source = program + ASYNC_SLEEP
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        assume(False)
    assume(encodable(source))
    checked = assert_plugin_sound(flake8, source.encode("utf-8"), rules)
    assume(checked.findings is not None)  # e.g. a `# flake8: noqa` line
    shift = len(checked.lines) - ASYNC_SLEEP.count("\n")
    assert (shift + 5, 4) in {(line, col) for line, col, text in checked.findings if text.startswith("FAP202")}


@budget(40)
@given(text=st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40))
def test_columns_count_characters(flake8, rules, text):
    # Any text (non-ASCII, astral, combining, wide) before the call moves the column by its length.
    prefix = f"_ = {text!r}; "
    source = ASYNC_SLEEP.replace("    time.sleep", "    " + prefix + "time.sleep")
    checked = assert_plugin_sound(flake8, source.encode("utf-8"), rules)
    assert checked.findings is not None
    assert [(line, col) for line, col, t in checked.findings if t.startswith("FAP202")] == [(5, 4 + len(prefix))]


# -- real FastAPI code, mutated ----------------------------------------------------------------


def mutate(lines: list[bytes], draw) -> bytes:
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "truncate", "indent", "splice"]))
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(j, lines[i])
        elif kind == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "truncate":  # the file ends in the middle of a line (or of a UTF-8 sequence)
            cut = draw(st.integers(0, len(lines[i])))
            lines[i:] = [lines[i][:cut]]
        elif kind == "indent":
            lines[i] = draw(st.sampled_from([b" ", b"    ", b"\t", b""])) + lines[i].lstrip()
        else:  # half of one line glued to half of another
            a, b = lines[i], lines[j]
            lines[i] = a[: draw(st.integers(0, len(a)))] + b[draw(st.integers(0, len(b))):]
    return b"".join(lines)


@budget(60)
@given(data=st.data())
def test_mutated_real_fastapi_files(flake8, rules, real_files, data):
    path = data.draw(st.sampled_from(real_files), label="file")
    mutated = mutate(path.read_bytes().splitlines(keepends=True), data.draw)
    assert_plugin_sound(flake8, mutated, rules)


@budget(30)
@given(data=st.data())
def test_line_endings_bom_and_cookie_change_no_finding(flake8, rules, real_files, data):
    path = data.draw(st.sampled_from(real_files), label="file")
    original = path.read_bytes()
    expected = flake8.check(original).findings
    assume(expected is not None)
    cookie = data.draw(st.sampled_from(["", "utf-8", "latin-1"]), label="coding cookie")
    if cookie == "latin-1":
        try:
            original = original.decode("utf-8").encode("latin-1")
        except UnicodeEncodeError:
            cookie = "utf-8"
    lines = ([f"# -*- coding: {cookie} -*-".encode()] if cookie else []) + original.splitlines(keepends=False)
    endings = data.draw(st.lists(st.sampled_from([b"\n", b"\r\n", b"\r"]), min_size=len(lines), max_size=len(lines)),
                        label="line endings")
    for i in range(len(lines) - 1):  # "\r" then an empty line ended by "\n" would read as one "\r\n"
        if endings[i] == b"\r" and not lines[i + 1] and endings[i + 1] != b"\r":
            endings[i] = b"\r\n"
    changed = b"".join(line + end for line, end in zip(lines, endings))
    if cookie != "latin-1" and data.draw(st.booleans(), label="BOM"):
        changed = b"\xef\xbb\xbf" + changed
    checked = assert_plugin_sound(flake8, changed, rules)
    shift = 1 if cookie else 0
    assert checked.findings == [(line + shift, column, text) for line, column, text in expected]


# -- bytes of any kind -----------------------------------------------------------------------------

FRAGMENTS = [
    b"\x00", b"\xef\xbb\xbf", b"\n", b"\r\n", b"\r", b"\t", b"\x0c", b"\x0b", b"\\\n", b"\xff\xfe", b"\xc3(", b"\xed\xa0\x80",
    b"\xf0\x9f\x98\x80", "é".encode("latin-1"), "é".encode("utf-8"), b"# -*- coding: latin-1 -*-\n",
    b"# coding: utf-8\n", b"# coding: no-such-codec\n", b"# coding: utf-16\n", b"# vim: set fileencoding=cp1252 :\n",
    b"x = [" + b"1, " * 20_000 + b"]\n", b"'" + b"a" * 50_000 + b"'\n",
    b"async def f():\n", b"    time.sleep(1)\n", b"\ttime.sleep(1)\n", b"import time\n", b"from time import sleep as nap\n",
    b"    nap(1)\n", b"engine = create_engine(url)\n", b"from sqlalchemy import create_engine\n",
    b"@app.on_event('startup')\n", b"def g():\n", b"    pass\n", b"class C:\n", b"'''", b'"""', b"f'{", b"(", b")", b"[",
    b"# noqa\n", b"# flake8: noqa\n", b"    await x\n", b"lambda: (yield)\n",
]

hostile_bytes = st.one_of(
    st.binary(max_size=2_000),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=8)), max_size=40).map(b"".join),
)


@budget(80)
@given(data=hostile_bytes)
def test_any_bytes(flake8, rules, data):
    checked = assert_plugin_sound(flake8, data, rules)
    # The raw bytes, decoded the lenient ways a direct caller might, also go to the engine.
    for text in (data.decode("latin-1"), data.decode("utf-8", "replace"), data.decode("utf-8", "surrogateescape")):
        assert_engine_sound(text, rules)
    assert checked.lines is not None


@budget(80)
@given(text=st.text(max_size=300))
def test_engine_on_any_text(rules, text):
    assert_engine_sound(text, rules)


@budget(40)
@given(data=st.data())
def test_engine_on_real_code_with_hostile_text_spliced_in(rules, real_files, data):
    # Real code, with findings to lose, and text CPython rejects (NUL, bad indentation, lone
    # quotes, \r-only lines) spliced in: the engine still runs every rule and reports inside.
    text = data.draw(st.sampled_from(real_files), label="file").read_text("utf-8")
    rows = text.split("\n")
    for _ in range(data.draw(st.integers(1, 5))):
        at = data.draw(st.integers(0, len(rows)))
        rows.insert(at, data.draw(st.sampled_from(["\x00", "'''", "\r", "\tdef (", "    " * 200 + "x", "\ufeff", "é" * 9,
                                                   "(" * 300, "async def f(:", "\\"]), label="spliced"))
    assert_engine_sound("\n".join(rows), rules)


# -- the odd files the issue names ---------------------------------------------------------------


def nested(depth: int, kind: str) -> str:
    if kind == "async-defs":  # FAP202 innermost, at (depth + 2, 4 * depth)
        return "import time\n" + async_defs(depth, "time.sleep(1)")
    if kind == "blocks":
        return HEADER + "".join(" " * i + "if x:\n" for i in range(depth)) + " " * depth + "requests.get(u)\n"
    opener, closer = {"parens": ("(", ")"), "lists": ("[", "]"), "dicts": ("{1: ", "}"), "calls": ("f(", ")"),
                      "subscripts": ("a[", "]"), "lambdas": ("lambda: ", "")}[kind]
    return HEADER + "x = " + opener * depth + "1" + closer * depth + "\n"


def async_defs(depth: int, innermost: str) -> str:
    return "".join("    " * i + f"async def f{i}():\n" for i in range(depth)) + "    " * depth + innermost + "\n"


INDENTED = ("async-defs", "blocks")


@pytest.mark.parametrize("kind", [*INDENTED, "parens", "lists", "dicts", "calls", "subscripts", "lambdas"])
def test_nesting_1000_levels_deep(flake8, rules, kind):
    source = nested(1000, kind)
    if kind not in INDENTED:
        checked = assert_plugin_sound(flake8, source.encode(), rules)
        if kind != "lambdas":
            assert checked.findings is None  # CPython refuses this nesting: E999, no plugin call
    # CPython refuses more than 100 levels of indentation (E999, no plugin call); flake8's own
    # `# flake8: noqa` scan takes ~9 s on those 2 MB of indentation, so only the engine is run.
    findings = assert_engine_sound(source, rules)
    if kind == "async-defs":
        # A file CPython cannot parse has no known imports, so only rules that need none run
        # on it: FAP202 (`time.sleep`) does not; FAP207 (`run_in_executor`, in `rules`) does.
        assert findings == []
        source = async_defs(1000, "await loop.run_in_executor(None, work)")
        findings = assert_engine_sound(source, rules)
        assert [(f.line, f.column, f.code) for f in findings] == [(1001, 4006, "FAP207")]


def test_nesting_as_deep_as_cpython_accepts(flake8, rules):
    depth = 99  # "too many levels of indentation" beyond 100
    checked = assert_plugin_sound(flake8, nested(depth, "async-defs").encode(), rules)
    assert [(line, col) for line, col, _ in checked.findings] == [(depth + 2, 4 * depth)]


def test_a_100000_line_file(flake8, rules):
    # The plugin class called as flake8 calls it, with flake8's lines and tree (flake8's own
    # report step, which tokenizes the file again for `# noqa`, would add seconds).
    blocks = 25_000
    source = "import time\n" + "".join(f"async def f{i}():\n    x = {i}\n    time.sleep(x)\n\n" for i in range(blocks))
    assert source.count("\n") == 100_001
    flake8.path.write_text(source)
    processor = FileProcessor(str(flake8.path), flake8.options)
    found = list(FastAPIProdChecker(processor.build_ast(), processor.lines, str(flake8.path)).run())
    assert [(line, col) for line, col, *_ in found] == [(4 * i + 4, 4) for i in range(blocks)]
    assert all(text.startswith("FAP202 ") for _, _, text, _ in found)


@pytest.mark.parametrize("name, data", [
    ("nul byte", b"import time\x00\nasync def f():\n    time.sleep(1)\n"),
    ("bom", b"\xef\xbb\xbf" + ASYNC_SLEEP.encode()),
    ("bom and latin-1 cookie", b"\xef\xbb\xbf# coding: latin-1\n" + ASYNC_SLEEP.encode()),
    ("mixed line endings", b"import time\r\n\r\n\rasync def handler():\n    time.sleep(1)\r"),
    ("tabs", b"import time\n\n\nasync def handler():\n\ttime.sleep(1)\n"),
    ("tabs and spaces", b"import time\n\n\nasync def handler():\n \t time.sleep(1)\n"),
    ("very long line", b"x = '" + b"a" * 1_000_000 + b"'\n" + ASYNC_SLEEP.encode()),
    ("very long line before the call", ASYNC_SLEEP.replace("    time", "    x = [" + "1, " * 10_000 + "]; time").encode()),
    ("latin-1 without cookie", "x = 'é'\n".encode("latin-1") + ASYNC_SLEEP.encode()),
    ("latin-1 with cookie", "# -*- coding: latin-1 -*-\nx = 'é'\n".encode("latin-1") + ASYNC_SLEEP.encode()),
    ("utf-8 but cookie says latin-1", "# coding: latin-1\nx = 'é'\n".encode("utf-8") + ASYNC_SLEEP.encode()),
    ("unknown cookie", b"# coding: no-such-codec\n" + ASYNC_SLEEP.encode()),
    ("utf-16 cookie", b"# coding: utf-16\n" + ASYNC_SLEEP.encode()),
    ("cp1252 cookie", "# coding: cp1252\nx = '\u20ac'\n".encode("cp1252") + ASYNC_SLEEP.encode()),
    ("utf-16 text", ASYNC_SLEEP.encode("utf-16")),
    ("form feed", b"import time\n\x0c\n\nasync def handler():\n    time.sleep(1)\n"),
    ("no final newline", ASYNC_SLEEP.rstrip("\n").encode()),
    ("only a BOM", b"\xef\xbb\xbf"),
    ("empty", b""),
])
def test_odd_files(flake8, rules, name, data):
    checked = assert_plugin_sound(flake8, data, rules)
    if checked.findings is not None and b"time.sleep(1)" in data:
        assert [t[:6] for *_, t in checked.findings] == ["FAP202"], name


# -- the real flake8 command: --jobs 1 and --jobs 2 --------------------------------------------


@settings(max_examples=1 * SCALE, deadline=None, derandomize=not RANDOM, database=None,
          suppress_health_check=list(HealthCheck), phases=PHASES)
@given(seed=st.integers(0, 2**32 - 1))
def test_flake8_jobs_1_and_2_agree(real_files, tmp_path_factory, seed):
    directory = tmp_path_factory.mktemp("jobs")
    rng = random.Random(seed)
    chosen = rng.sample(real_files, 16)
    for index, path in enumerate(chosen):
        lines = path.read_bytes().splitlines(keepends=True)
        for _ in range(rng.randint(0, 3)):  # some files stay valid, some break
            if lines:
                i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
        (directory / f"m{index:02d}.py").write_bytes(b"".join(lines))
    (directory / "odd_nul.py").write_bytes(b"import time\x00\n")
    (directory / "odd_latin1.py").write_bytes("x = 'é'\n".encode("latin-1") + ASYNC_SLEEP.encode())
    (directory / "odd_deep.py").write_text(nested(1000, "parens"))
    outputs = []
    for jobs in ("1", "2"):
        result = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "FAP,E9", "--jobs", jobs, "."],
                                cwd=directory, capture_output=True, timeout=300)
        assert b"Traceback" not in result.stderr and result.returncode in (0, 1), result.stderr.decode()
        assert INTERNAL_ERROR_CODE.encode() not in result.stdout
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert b"FAP" in outputs[0] and b"E999" in outputs[0]


# -- the coverage-guided fuzz targets, on a short budget -------------------------------------

FUZZ_SECONDS = int(os.environ.get("FAP_FUZZ_SECONDS", "3"))


def test_fuzz_targets_run_clean(tmp_path):
    """fuzz/fuzz_source.py and fuzz/fuzz_rulebook.py, side by side, each for FAP_FUZZ_SECONDS (3 s).

    Longer runs by hand: fuzz/README.md. A crash leaves its input as crash-* (here in tmp_path).
    """
    pytest.importorskip("atheris", reason="atheris (coverage-guided fuzzing) is not installed for this Python")
    fuzz = Path(__file__).resolve().parent.parent / "fuzz"
    runs = {}
    for target in ("fuzz_source", "fuzz_rulebook"):
        work = tmp_path / target
        (work / "corpus").mkdir(parents=True)  # an empty corpus is seeded by the target
        (work / "tmp").mkdir()  # the target's temporary files, which it must remove when done
        runs[target] = (work, subprocess.Popen(
            [sys.executable, str(fuzz / f"{target}.py"), f"-max_total_time={FUZZ_SECONDS}", "-seed=1", "-timeout=30",
             "-rss_limit_mb=4096", f"-artifact_prefix={work}/", str(work / "corpus")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "TMPDIR": str(work / "tmp")},
        ))
    for target, (work, process) in runs.items():
        output, _ = process.communicate(timeout=FUZZ_SECONDS + 120)
        artifacts = sorted(p.name for p in work.iterdir() if p.name not in ("corpus", "tmp"))
        assert process.returncode == 0 and not artifacts, f"{target} crashed ({artifacts}):\n{output[-4000:]}"
        assert not any((work / "tmp").iterdir()), f"{target} left temporary files: {list((work / 'tmp').iterdir())}"
        done = re.search(r"Done (\d+) runs in (\d+) second", output)
        assert done and int(done[1]) > 0, output[-2000:]
        print(f"{target}: {done[1]} executions in {done[2]} s")
