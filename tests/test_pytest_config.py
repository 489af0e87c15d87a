"""Settings a file's pytest configuration gives: pytest-asyncio's mode turns FAP504 and FAP505 off.

gns3-server (`pytest.ini`), bisheng and field-tm (`pyproject.toml`), port-ocean, wireup and
fastapi-realworld-example-app (`--asyncio-mode=auto` in `addopts`) run pytest-asyncio in
auto mode, where an unmarked `async def test_*` runs: the rules flagged ~1,100 of their tests.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import reported, run_flake8
from flake8_fastapi_prod.effective import load_rulebooks
from flake8_fastapi_prod.engine import check_source
from flake8_fastapi_prod.errors import RulebookError
from flake8_fastapi_prod.model import default_rulebook_path
from flake8_fastapi_prod.pytest_config import pytest_option

UNMARKED_TEST = textwrap.dedent(
    """\
    import pytest


    async def test_read_items(client):
        assert (await client.get("/items")).status_code == 200


    @pytest.fixture
    async def client():
        yield 1
    """
)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def mode_of(root: Path, files: dict[str, str], test: str = "tests/test_app.py") -> str | None:
    return pytest_option("asyncio_mode", str(write(root, files) / test))


@pytest.mark.parametrize("files", [
    {"pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n"},
    {"pyproject.toml": "[tool.pytest]\nasyncio_mode = 'auto'\n"},  # pytest 9's native table
    {"pyproject.toml": "[tool]\npytest.ini_options.asyncio_mode = 'auto'\n"},  # no header: parsed to know
    {"pytest.ini": "[pytest]\nasyncio_mode=auto\n"},
    {".pytest.ini": "[pytest]\nasyncio_mode = auto\n"},
    {"pytest.toml": "[pytest]\nasyncio_mode = 'auto'\n"},
    {"tox.ini": "[tox]\nenvlist = py311\n\n[pytest]\nasyncio_mode = auto\n"},
    {"setup.cfg": "[metadata]\nname = app\n\n[tool:pytest]\nasyncio_mode = auto\n"},
    # on pytest's command line, through addopts: the last one wins, as in argparse
    {"pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-ra --asyncio-mode=auto'\n"},
    {"pyproject.toml": "[tool.pytest]\naddopts = ['-ra', '--asyncio-mode', 'auto']\n"},
    {"setup.cfg": "[tool:pytest]\naddopts =\n    -p no:cacheprovider\n    --asyncio-mode=strict --asyncio-mode=auto\n"},
    # addopts wins over the ini option
    {"pytest.ini": "[pytest]\nasyncio_mode = strict\naddopts = --asyncio-mode=auto\n"},
], ids=lambda files: ", ".join(files))
def test_the_mode_is_read_as_pytest_reads_it(tmp_path, files):
    assert mode_of(tmp_path, files) == "auto"


def test_the_nearest_configuration_wins_and_the_first_of_a_directory(tmp_path):
    # tests/pytest.ini configures pytest for tests/: the project's auto mode is not read
    assert mode_of(tmp_path / "nearest", {
        "pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n", "tests/pytest.ini": "",
    }) is None
    # in one directory, pytest.ini comes before pyproject.toml, even without a [pytest] section
    assert mode_of(tmp_path / "a", {
        "pytest.ini": "[other]\nasyncio_mode = strict\n", "pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n",
    }) is None
    # files that do not configure pytest are passed over, up to the one that does
    assert mode_of(tmp_path / "b", {
        "pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n",
        "tests/pyproject.toml": "[project]\ndependencies = ['pytest']\n\n[tool.black]\nline-length = 100\n",
        "tests/tox.ini": "[tox]\nenvlist = py311\n", "tests/setup.cfg": "[flake8]\nmax-line-length = 100\n",
    }) == "auto"
    assert mode_of(tmp_path / "c", {"pyproject.toml": "[tool.black]\nline-length = 100\n"}) is None


@pytest.mark.parametrize("files", [
    {"pyproject.toml": "[tool.pytest.ini_options\nasyncio_mode = 'auto'\n"},  # not TOML
    {"pyproject.toml": "tool = 1\n"},
    {"setup.cfg": "asyncio_mode = auto\n[tool:pytest]\n"},  # a key before any section
    {"pytest.ini": "[pytest]\naddopts = --asyncio-mode='auto\n"},  # an unclosed quote
    {"pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = {mode = 'auto'}\n"},
])
def test_a_configuration_that_cannot_be_read_gives_nothing(tmp_path, files):
    assert mode_of(tmp_path, files) is None


def test_an_undecodable_configuration_gives_nothing(tmp_path):
    (tmp_path / "setup.cfg").write_bytes(b"[tool:pytest]\nasyncio_mode = \xff\xfe auto\n")
    assert pytest_option("asyncio_mode", str(tmp_path / "test_app.py")) is None


def test_the_engine_asks_the_configuration_of_the_file_it_checks(tmp_path):
    rules = load_rulebooks([default_rulebook_path()]).rules
    auto = write(tmp_path / "auto", {"pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n"})
    strict = write(tmp_path / "strict", {"pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = 'strict'\n"})
    codes = lambda path: sorted(f.code for f in check_source(UNMARKED_TEST, rules, path=path))  # noqa: E731
    assert codes(str(auto / "tests" / "test_app.py")) == []
    assert codes(str(strict / "tests" / "test_app.py")) == ["FAP504", "FAP505"]
    assert codes(None) == ["FAP504", "FAP505"]  # no file: the setting's default


def test_flake8_reads_the_project_pytest_configuration(tmp_path):
    write(tmp_path, {"pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n",
                     "tests/test_app.py": UNMARKED_TEST, "other/test_app.py": UNMARKED_TEST,
                     "other/pytest.ini": "[pytest]\nasyncio_mode = strict\n"})
    result = run_flake8("--select", "FAP5", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr.decode()
    assert {(path, code) for path, _, _, code in reported(result.stdout)} == {
        ("./other/test_app.py", "FAP504"), ("./other/test_app.py", "FAP505"),
    }
    # an editor pipes the buffer, naming the file: the file's configuration applies
    named = run_flake8("--select", "FAP5", "--stdin-display-name", "tests/test_app.py", "-",
                       cwd=tmp_path, stdin=UNMARKED_TEST)
    assert named.returncode == 0 and named.stdout == b"", named.stdout
    # unnamed, the buffer is in the working directory
    unnamed = run_flake8("--select", "FAP5", "-", cwd=tmp_path / "other", stdin=UNMARKED_TEST)
    assert {code for *_, code in reported(unnamed.stdout)} == {"FAP504", "FAP505"}


def test_flake8_config_wins_over_pytest_configuration(tmp_path):
    write(tmp_path, {"pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n",
                     "tests/test_app.py": UNMARKED_TEST,
                     "setup.cfg": "[flake8]\nfap-settings = asyncio_mode = strict\n"})
    result = run_flake8("--select", "FAP5", "tests/test_app.py", cwd=tmp_path, isolated=False)
    assert {code for *_, code in reported(result.stdout)} == {"FAP504", "FAP505"}, result.stderr.decode()
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\nasyncio_mode = 'strict'\n")
    (tmp_path / "setup.cfg").write_text("[flake8]\nfap-settings = asyncio_mode = auto\n")
    result = run_flake8("--select", "FAP5", "tests/test_app.py", cwd=tmp_path, isolated=False)
    assert result.returncode == 0 and result.stdout == b"", result.stdout


def test_a_team_override_wins_over_pytest_configuration(tmp_path):
    write(tmp_path, {"pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n",
                     "tests/test_app.py": UNMARKED_TEST,
                     "team.yaml": "overrides:\n  FAP505:\n    settings:\n      asyncio_mode: strict\n"})
    result = run_flake8("--select", "FAP5", "--fap-rulebooks", "team.yaml", "tests/test_app.py", cwd=tmp_path)
    assert {code for *_, code in reported(result.stdout)} == {"FAP505"}, result.stderr.decode()


TEAM_RULE = """\
rules:
  - code: FAP950
    name: unmarked-async-test
    message: unmarked async test
    settings:
      asyncio_mode: strict
    pytest_settings: {names}
    disabled_when:
      asyncio_mode: auto
    rule:
      {rule}
"""


@pytest.mark.parametrize(("names", "rule", "problem"), [
    ("asyncio_mode", "pattern: async def $F($$$A)", "'pytest_settings' must be a list of setting names"),
    ("[mode]", "pattern: async def $F($$$A)", "'pytest_settings' names 'mode', which the rule does not declare"),
    ("[asyncio_mode]", "regex: '${asyncio_mode}'", "the setting 'asyncio_mode' comes from each file's pytest "
                                                   "configuration: only 'disabled_when' may use it, not the rule"),
])
def test_a_wrong_pytest_settings_is_a_rulebook_error(tmp_path, names, rule, problem):
    team = tmp_path / "team.yaml"
    team.write_text(TEAM_RULE.format(names=names, rule=rule))
    with pytest.raises(RulebookError) as raised:
        load_rulebooks([default_rulebook_path(), team], team_from=1)
    assert any(p.rule == "FAP950" and problem in p.message for p in raised.value.problems), raised.value.problems


def test_a_team_rule_can_take_a_setting_from_pytest(tmp_path):
    team = tmp_path / "team.yaml"
    team.write_text(TEAM_RULE.format(names="[asyncio_mode]", rule="kind: function_definition\n      regex: '^async'"))
    rules = [r for r in load_rulebooks([default_rulebook_path(), team], team_from=1).rules if r.code == "FAP950"]
    write(tmp_path / "auto", {"pytest.ini": "[pytest]\nasyncio_mode = auto\n"})
    assert check_source("async def f():\n    pass\n", rules, path=str(tmp_path / "auto" / "t.py")) == []
    assert [f.code for f in check_source("async def f():\n    pass\n", rules, path=str(tmp_path / "t.py"))] == ["FAP950"]


def test_a_pyproject_that_cannot_hold_the_option_is_not_parsed(tmp_path, monkeypatch):
    # importing tomllib and parsing take ~1.5 ms a process: only for a file that names the option
    import flake8_fastapi_prod.pytest_config as pytest_config

    parsed = []
    monkeypatch.setattr(pytest_config, "_toml_options", lambda text, table: parsed.append(text) or {})
    assert mode_of(tmp_path / "a", {"pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-ra'\n"}) is None
    assert mode_of(tmp_path / "b", {"pyproject.toml": "[project]\ndependencies = ['pytest']\n"}) is None
    assert parsed == []
    mode_of(tmp_path / "c", {"pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n"})
    assert len(parsed) == 1
