"""The per-user cache of loaded rulebooks: the same rulebook back, a miss whenever anything
that decides the rulebook changes, and never an error of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import NO_PRINT, reported
from flake8_fastapi_prod import cache
from flake8_fastapi_prod.effective import load_effective_rulebook
from flake8_fastapi_prod.engine import check_source
from flake8_fastapi_prod.model import Examples, default_rulebook_path

# The settings, an override and a new rule: every part of a team rulebook the cache keeps.
TEAM = textwrap.dedent(
    """\
    settings:
      handled_exceptions: ValueError
    overrides:
      FAP202:
        message: time.sleep() blocks the event loop; use await asyncio.sleep()
    """
) + NO_PRINT

APP = "import time\n\n\nasync def handler():\n    print('x')\n    time.sleep(1)\n"

# Runs the real flake8 in-process, then tells whether the YAML reader was loaded (it is
# only when the rulebook did not come from the cache) and whether tree-sitter was (it is
# only when a file was parsed, or the rulebook was read and checked).
RUN = """
import sys
import flake8.main.cli
code = flake8.main.cli.main(sys.argv[1:])
print("yaml read:", "flake8_fastapi_prod.yaml_source" in sys.modules, file=sys.stderr)
print("tree-sitter loaded:", "ast_grep_py" in sys.modules, file=sys.stderr)
sys.exit(code)
"""


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(cache.ENVIRONMENT_VARIABLE, str(directory))
    return directory


@pytest.fixture
def team(tmp_path) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(TEAM, encoding="utf-8")
    return path


def paths_of(team: Path) -> list[Path]:
    return [default_rulebook_path(), team]


def test_the_cached_rulebook_is_the_loaded_one(cache_dir, team):
    settings = {"asyncio_mode": "auto"}
    loaded = load_effective_rulebook([team], settings)
    assert cache.load(paths_of(team), settings) is None
    cache.store(paths_of(team), settings, loaded)
    assert list(cache_dir.iterdir())
    again = cache.load(paths_of(team), settings)
    assert again == loaded  # every field of every rule, the examples and requirements included
    assert [r.code for r in again.rules][-1] == "FAP901" and again.rule("FAP202").message.startswith("time.sleep()")


def test_rules_compare_by_their_data_and_copies_start_with_empty_caches(team):
    loaded = load_effective_rulebook([team], {})
    rule = loaded.rule("FAP202")
    check_source("import time\n\n\nasync def f():\n    time.sleep(1)\n", [rule])
    assert rule._configs  # what the engine cached for that file
    copy = rule.replace()
    assert copy == rule and copy is not rule and copy._configs == {} and copy.screen_tally is not rule.screen_tally
    assert rule.replace(message="another") != rule and rule.replace(examples=Examples()) != rule
    assert "FAP202" in repr(rule) and "_configs" not in repr(rule)
    assert loaded.replace(turned_off=["FAP999"]) != loaded
    with pytest.raises(TypeError, match="no field _configs"):
        rule.replace(_configs={})


def test_a_cached_rule_builds_its_search_only_when_a_file_reaches_it(cache_dir, team):
    settings: dict[str, str] = {}
    loaded = load_effective_rulebook([team], settings)
    cache.store(paths_of(team), settings, loaded)
    again = cache.load(paths_of(team), settings)

    def built() -> list[str]:  # the rules whose ast-grep rule is an object by now
        return [rule.code for rule in again.rules if "body" in vars(rule)]

    assert built() == [] and [r.code for r in again.rules] == [r.code for r in loaded.rules]
    assert check_source("import os\n\nprint(os.sep)\n", again.rules) == []  # no rule's search reached
    assert built() == []
    blocking = "import time\n\n\nasync def f():\n    time.sleep(1)\n"
    assert check_source(blocking, again.rules) == check_source(blocking, loaded.rules) != []
    assert "FAP202" in built() and len(built()) < len(again.rules) // 2
    rule = again.rule("FAP202")
    assert rule == loaded.rule("FAP202") and rule.examples == loaded.rule("FAP202").examples
    with pytest.raises(AttributeError, match="no attribute 'bodyy'"):
        rule.bodyy  # noqa: B018  # a misspelt field is an error, not a field built


def test_the_cache_keeps_the_entries_written_last(cache_dir, team, monkeypatch):
    monkeypatch.setattr(cache, "_KEPT_ENTRIES", 3)
    loaded = load_effective_rulebook([team], {})
    settings = [{"asyncio_mode": str(i)} for i in range(5)]  # five rulebooks: five entries
    for number, each in enumerate(settings):
        cache.store(paths_of(team), each, loaded)
        entry = cache._entry(paths_of(team), each)[0]
        os.utime(entry, ns=(number * 10**9, number * 10**9))  # written in this order
    (cache_dir / "notes.txt").write_text("not an entry")
    assert sorted(p.name for p in cache_dir.iterdir() if p.suffix == ".marshal") == sorted(
        cache._entry(paths_of(team), each)[0].name for each in settings[2:])
    assert cache.load(paths_of(team), settings[4]) == loaded and cache.load(paths_of(team), settings[0]) is None
    assert (cache_dir / "notes.txt").exists()


def test_a_change_of_rulebook_or_settings_misses(cache_dir, team):
    cache.store(paths_of(team), {}, load_effective_rulebook([team], {}))
    assert cache.load(paths_of(team), {}) is not None
    assert cache.load(paths_of(team), {"asyncio_mode": "auto"}) is None
    assert cache.load([default_rulebook_path()], {}) is None
    team.write_text(TEAM.replace("use the logger", "use logging"), encoding="utf-8")
    assert cache.load(paths_of(team), {}) is None


def test_an_upgrade_of_ast_grep_misses(tmp_path, cache_dir, monkeypatch):
    # ast-grep compile-checks the rulebook when it is read, so its binary is part of the key;
    # the cache finds it without importing it.
    import ast_grep_py

    installed = Path(ast_grep_py.__file__).resolve().parent
    (binary,) = [path for path in installed.iterdir() if path.suffix == ".so"]
    assert f"{binary.name} {binary.stat().st_size} {binary.stat().st_mtime_ns}" in cache._code_stamps()
    cache.store([default_rulebook_path()], {}, load_effective_rulebook([], {}))
    assert cache.load([default_rulebook_path()], {}) is not None
    upgraded = tmp_path / "ast_grep_py"
    upgraded.mkdir()
    (upgraded / binary.name).write_bytes(b"another build")
    monkeypatch.setattr(cache, "_ast_grep_directory", lambda: str(upgraded))
    assert cache.load([default_rulebook_path()], {}) is None


def test_an_entry_for_other_rulebooks_is_not_used_even_under_this_name(cache_dir, team):
    cache.store([default_rulebook_path()], {}, load_effective_rulebook([], {}))
    (entry,) = cache_dir.iterdir()
    expected_name = cache._entry(paths_of(team), {})[0].name
    entry.rename(cache_dir / expected_name)  # as if the names of two entries collided
    assert cache.load(paths_of(team), {}) is None


def test_a_damaged_entry_is_ignored(cache_dir, team):
    cache.store(paths_of(team), {}, load_effective_rulebook([team], {}))
    (entry,) = cache_dir.iterdir()
    for damage in (b"", b"not marshal data", entry.read_bytes()[:100]):
        entry.write_bytes(damage)
        assert cache.load(paths_of(team), {}) is None


def test_no_cache_when_the_directory_cannot_be_written_or_is_turned_off(tmp_path, monkeypatch, team):
    rulebook = load_effective_rulebook([team], {})
    not_a_directory = tmp_path / "a-file"
    not_a_directory.write_text("")
    monkeypatch.setenv(cache.ENVIRONMENT_VARIABLE, str(not_a_directory))
    cache.store(paths_of(team), {}, rulebook)  # no error
    assert cache.load(paths_of(team), {}) is None
    monkeypatch.setenv(cache.ENVIRONMENT_VARIABLE, "")
    assert cache.cache_dir() is None
    cache.store(paths_of(team), {}, rulebook)
    assert cache.load(paths_of(team), {}) is None


def run_flake8_reporting_yaml(project: Path, *args: str) -> tuple[list, str, int]:
    result = subprocess.run([sys.executable, "-c", RUN, "--isolated", "--select", "FAP", *args, "app.py"],
                            cwd=project, capture_output=True, text=True, timeout=300)
    return sorted(f[1:] for f in reported(result.stdout)), result.stderr, result.returncode


def test_flake8_uses_the_cache_from_its_second_run(tmp_path, cache_dir, team):
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    args = ("--fap-rulebooks", str(team))
    first = run_flake8_reporting_yaml(tmp_path, *args)
    second = run_flake8_reporting_yaml(tmp_path, *args)
    assert first[0] == second[0] == [(5, 5, "FAP901"), (6, 5, "FAP202")]
    assert first[2] == second[2] == 1
    assert "yaml read: True" in first[1] and "yaml read: False" in second[1]
    (cache_dir / next(cache_dir.iterdir()).name).write_bytes(b"damaged")
    assert run_flake8_reporting_yaml(tmp_path, *args)[0] == first[0]


def test_a_flake8_run_that_parses_no_file_does_not_load_tree_sitter(tmp_path, cache_dir):
    # ast-grep-py's import is ~6M instructions of a flake8 start-up, paid in an editor on
    # every save; a file judged on its words alone does not need it.
    app = tmp_path / "app.py"
    app.write_text("import time\n\n\ndef handler():\n    return time.time()\n", encoding="utf-8")
    first = run_flake8_reporting_yaml(tmp_path)  # fills the cache: reading YAML checks it with ast-grep
    second = run_flake8_reporting_yaml(tmp_path)
    assert first[0] == second[0] == [] and "yaml read: False" in second[1]
    assert "tree-sitter loaded: False" in second[1]
    app.write_text(APP, encoding="utf-8")
    findings, stderr, _ = run_flake8_reporting_yaml(tmp_path)
    assert findings == [(6, 5, "FAP202")] and "tree-sitter loaded: True" in stderr


def test_a_rulebook_with_errors_is_never_cached(tmp_path, cache_dir, team):
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    team.write_text(TEAM.replace("pattern: print($$$)", "pattern: print($$$"), encoding="utf-8")
    for _ in range(2):
        findings, stderr, code = run_flake8_reporting_yaml(tmp_path, "--fap-rulebooks", str(team))
        assert code != 0 and findings == [] and "FAP901" in stderr and "Traceback" not in stderr
    assert cache.load(paths_of(team), {}) is None
    assert len(list(cache_dir.iterdir())) == 1  # the default rulebook alone, which loaded fine
