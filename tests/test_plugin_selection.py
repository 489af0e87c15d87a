"""The plugin runs only the rules whose codes flake8 will report, and an off-by-default
rule only when named by its code."""

from __future__ import annotations

import shlex

import pytest
import yaml
from flake8.options.parse_args import parse_args

from conftest import EXAMPLE_APP, ROOT, reported, run_flake8
from flake8_fastapi_prod import plugin


@pytest.fixture(autouse=True)
def plugin_state_restored():
    """parse_args sets the plugin's rulebook and selection for the process: put them back."""
    saved = plugin._rulebook, plugin._selected
    yield
    plugin._rulebook, plugin._selected = saved


@pytest.mark.parametrize(
    ("argv", "absent", "present"),
    [
        ([], {"FAP207", "FAP405"}, {"FAP202", "FAP101"}),
        (["--extend-ignore", "FAP202"], {"FAP202", "FAP207"}, {"FAP101"}),
        (["--extend-select", "FAP405"], {"FAP207"}, {"FAP405", "FAP202"}),
        (["--select", "FAP2"], {"FAP101", "FAP405", "FAP207"}, {"FAP202"}),
        # `--select FAP` is the pack as it is by default, as `--select B` leaves out
        # flake8-bugbear's B9 warnings; flake8 alone would report FAP207 and FAP405 too.
        (["--select", "FAP"], {"FAP207", "FAP405"}, {"FAP202", "FAP101"}),
        (["--select", "FAP,FAP207"], {"FAP405"}, {"FAP207", "FAP202"}),
        (["--select", "FAP20"], {"FAP207"}, {"FAP202"}),
        # `ignore =` replaces flake8's default ignore list, where the off-by-default codes are
        (["--ignore", "E501"], {"FAP207", "FAP405"}, {"FAP202"}),
        (["--select", "FAP207", "--extend-ignore", "FAP207"], {"FAP207"}, set()),
    ],
)
def test_unreported_rules_are_not_run(argv, absent, present):
    parse_args(["--isolated", *argv])  # calls the plugin's parse_options, as a flake8 run does
    codes = {rule.code for rule in plugin._selected}
    assert not absent & codes and present <= codes


def test_a_team_that_turns_a_rule_on_gets_it_with_select_fap(tmp_path):
    team = tmp_path / "team.yaml"
    team.write_text("overrides:\n  FAP207:\n    enabled: true\n", encoding="utf-8")
    parse_args(["--isolated", "--select", "FAP", "--fap-rulebooks", str(team)])
    codes = {rule.code for rule in plugin._selected}
    assert "FAP207" in codes and "FAP405" not in codes


def test_the_pre_commit_hook_reports_the_rules_that_are_on_by_default():
    (hook,) = [h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text()) if h["id"] == "flake8-fastapi-prod"]
    program, *options = shlex.split(hook["entry"])
    assert program == "flake8"
    found = {code for *_, code in reported(run_flake8(*options, str(EXAMPLE_APP), cwd=ROOT).stdout)}
    assert found and all(code.startswith("FAP") for code in found)
    assert "FAP202" in found and not {"FAP207", "FAP405"} & found
