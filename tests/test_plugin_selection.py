"""The plugin runs only the rules whose codes flake8 will report."""

from __future__ import annotations

import pytest
from flake8.options.parse_args import parse_args

from flake8_fastapi_prod import plugin


@pytest.mark.parametrize(
    ("argv", "absent", "present"),
    [
        ([], {"FAP207", "FAP405"}, {"FAP202", "FAP101"}),
        (["--extend-ignore", "FAP202"], {"FAP202", "FAP207"}, {"FAP101"}),
        (["--extend-select", "FAP405"], {"FAP207"}, {"FAP405", "FAP202"}),
        (["--select", "FAP2"], {"FAP101", "FAP405"}, {"FAP202", "FAP207"}),
    ],
)
def test_unreported_rules_are_not_run(argv, absent, present):
    parse_args(["--isolated", *argv])  # calls the plugin's parse_options, as a flake8 run does
    codes = {rule.code for rule in plugin._selected}
    assert not absent & codes and present <= codes
