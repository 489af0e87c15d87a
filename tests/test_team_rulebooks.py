"""Team rulebooks configured in flake8's config files, through the real flake8 command."""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import NO_PRINT, reported, run_cli, run_flake8

APP = textwrap.dedent(
    """\
    import os
    import time


    async def handler():
        print("handling")
        time.sleep(1)
        with open("data.txt") as f:
            return f.read()


    async def fetch(loop):
        return await loop.run_in_executor(None, os.sync)
    """
)

TUNE_DEFAULTS = textwrap.dedent(
    """\
    overrides:
      FAP202:
        message: do not sleep in async code (team policy, see wiki/async)
      FAP203:
        enabled: false
      FAP207:
        enabled: true
    """
)


def project(tmp_path: Path, config: str, files: dict[str, str]) -> Path:
    (tmp_path / "setup.cfg").write_text("[flake8]\n" + textwrap.dedent(config))
    for name, text in {"app.py": APP, **files}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def codes_and_messages(result) -> set[tuple[int, str]]:
    assert result.returncode in (0, 1) and not result.stderr, result.stderr.decode()
    return {(line, code) for _, line, _, code in reported(result.stdout) if code.startswith("FAP")}


def test_without_team_rulebook(tmp_path):
    root = project(tmp_path, "", {})
    result = run_flake8("app.py", cwd=root, isolated=False)
    assert codes_and_messages(result) == {(7, "FAP202"), (8, "FAP203")}


def test_team_rule_shows_in_a_plain_flake8_run(tmp_path):
    root = project(tmp_path, "fap-rulebooks = team-rules.yaml\n", {"team-rules.yaml": NO_PRINT})
    result = run_flake8("app.py", cwd=root, isolated=False)
    assert result.returncode == 1
    assert codes_and_messages(result) == {(6, "FAP901"), (7, "FAP202"), (8, "FAP203")}
    assert "app.py:6:5: FAP901 print() in async code; use the logger" in result.stdout.decode()


def test_overrides_change_message_and_turn_rules_off_and_on(tmp_path):
    root = project(tmp_path, "fap-rulebooks = tune.yaml\n", {"tune.yaml": TUNE_DEFAULTS})
    result = run_flake8("app.py", cwd=root, isolated=False)
    assert codes_and_messages(result) == {(7, "FAP202"), (13, "FAP207")}
    assert "app.py:7:5: FAP202 do not sleep in async code (team policy, see wiki/async)" in result.stdout.decode()
    # a rule turned off by the team stays selectable, like any off-by-default flake8 code
    selected = run_flake8("--extend-select", "FAP203", "app.py", cwd=root, isolated=False)
    assert (8, "FAP203") in codes_and_messages(selected)


def test_team_rule_with_a_default_code_replaces_it(tmp_path):
    replacement = NO_PRINT.replace("FAP901", "FAP202").replace("no-print-in-async", "team-sleep")
    root = project(tmp_path, "fap-rulebooks = replace.yaml\n", {"replace.yaml": replacement})
    result = run_flake8("app.py", cwd=root, isolated=False)
    assert codes_and_messages(result) == {(6, "FAP202"), (8, "FAP203")}


def test_two_team_rulebooks_together(tmp_path):
    root = project(tmp_path, "fap-rulebooks =\n    team-rules.yaml\n    tune.yaml\n",
                   {"team-rules.yaml": NO_PRINT, "tune.yaml": TUNE_DEFAULTS})
    result = run_flake8("app.py", cwd=root, isolated=False)
    assert codes_and_messages(result) == {(6, "FAP901"), (7, "FAP202"), (13, "FAP207")}


def test_config_in_a_parent_directory_with_a_relative_path(tmp_path):
    root = project(tmp_path, "fap-rulebooks = lint/team-rules.yaml\n",
                   {"lint/team-rules.yaml": NO_PRINT, "src/service/app.py": APP})
    result = run_flake8("app.py", cwd=root / "src" / "service", isolated=False)
    assert codes_and_messages(result) == {(6, "FAP901"), (7, "FAP202"), (8, "FAP203")}


def test_command_line_option_and_tox_ini(tmp_path):
    (tmp_path / "team-rules.yaml").write_text(NO_PRINT)
    (tmp_path / "app.py").write_text(APP)
    result = run_flake8("--fap-rulebooks", "team-rules.yaml", "app.py", cwd=tmp_path)
    assert (6, "FAP901") in codes_and_messages(result)
    (tmp_path / "tox.ini").write_text("[flake8]\nfap-rulebooks = team-rules.yaml\n")
    result = run_flake8("app.py", cwd=tmp_path, isolated=False)
    assert (6, "FAP901") in codes_and_messages(result)


SETTING_RULES = textwrap.dedent(
    """\
    rules:
      - code: FAP902
        name: forbidden-call-in-async
        message: a call the team forbids in async code
        note: The team lists the calls in the `forbidden_calls` setting.
        settings:
          forbidden_calls: [os.sync]
          strictness: strict
        disabled_when:
          strictness: relaxed
        rule:
          kind: call
          has:
            field: function
            imported: ${forbidden_calls}
          all:
            - matches: in-async-function
        examples:
          invalid:
            - |
              import os
              async def f():
                  os.sync()  # expect: FAP902:5
          valid:
            - |
              import os
              def f():
                  os.sync()
    """
)


def test_settings_from_the_config_file(tmp_path):
    app = "import os\nimport shutil\n\n\nasync def f():\n    os.sync()\n    shutil.disk_usage('/')\n"
    root = project(tmp_path, "fap-rulebooks = settings.yaml\n", {"settings.yaml": SETTING_RULES, "app.py": app})
    assert codes_and_messages(run_flake8("app.py", cwd=root, isolated=False)) == {(6, "FAP902")}
    (root / "setup.cfg").write_text(
        "[flake8]\nfap-rulebooks = settings.yaml\nfap-settings =\n    forbidden_calls = os.sync, shutil.disk_usage\n"
    )
    assert codes_and_messages(run_flake8("app.py", cwd=root, isolated=False)) == {(6, "FAP902"), (7, "FAP902")}
    (root / "setup.cfg").write_text("[flake8]\nfap-rulebooks = settings.yaml\nfap-settings = strictness = relaxed\n")
    assert codes_and_messages(run_flake8("app.py", cwd=root, isolated=False)) == set()


def test_unknown_setting_is_an_error(tmp_path):
    root = project(tmp_path, "fap-rulebooks = settings.yaml\nfap-settings = forbiden_calls = os.sync\n",
                   {"settings.yaml": SETTING_RULES})
    result = run_flake8("app.py", cwd=root, isolated=False)
    assert result.returncode != 0 and b"Traceback" not in result.stderr
    assert "unknown setting 'forbiden_calls'; did you mean 'forbidden_calls'?" in result.stderr.decode()


def test_cli_lists_and_explains_the_effective_rulebook(tmp_path):
    root = project(tmp_path, "fap-rulebooks = team-rules.yaml, tune.yaml\n",
                   {"team-rules.yaml": NO_PRINT, "tune.yaml": TUNE_DEFAULTS})
    listing = run_cli("rules", cwd=root)
    assert listing.returncode == 0, listing.stderr
    rows = {line.split()[0]: line.split() for line in listing.stdout.splitlines()[1:]}
    assert rows["FAP901"] == ["FAP901", "no-print-in-async", "FAP9xx", "on", "team-rules.yaml"]
    assert rows["FAP203"][3] == "off" and rows["FAP207"][3] == "on"
    assert rows["FAP101"][4].endswith("rules.yaml")
    explained = run_cli("explain", "FAP901", cwd=root)
    assert explained.returncode == 0
    assert "print() in async code; use the logger" in explained.stdout
    assert "print(1)" in explained.stdout and "# expect" not in explained.stdout
    assert run_cli("explain", "FAP999", cwd=root).returncode == 1


def test_cli_check_passes_a_good_team_rulebook(tmp_path):
    (tmp_path / "team.yaml").write_text(NO_PRINT)
    result = run_cli("check", str(tmp_path / "team.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule(s) checked: no problems" in result.stdout


SLOW_RULE = textwrap.dedent(
    """\
    rules:
      - code: FAP903
        name: slow-shapes
        message: a rule written in shapes known to be slow
        note: For the check command's warnings.
        rule:
          kind: call
          regex: '\\w+\\('
          not:
            inside: {kind: decorator, stopBy: end}
        examples:
          invalid:
            - |
              print(1)  # expect: FAP903:1
          valid:
            - |
              x = 1
    """
)


def test_check_warns_about_slow_rule_shapes(tmp_path):
    (tmp_path / "slow.yaml").write_text(SLOW_RULE)
    result = run_cli("check", str(tmp_path / "slow.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    warnings = [line for line in result.stdout.splitlines() if ": warning: " in line]
    assert len(warnings) == 3
    assert "the prefilter cannot skip this rule" in warnings[0]
    assert "`not: {inside: ..., stopBy: end}`" in result.stdout and "Unicode classes" in result.stdout
    assert run_cli("check", str(tmp_path / "slow.yaml")).returncode == 0


REPEATED_PART = textwrap.dedent(
    """\
    rules:
      - code: FAP905
        name: dict-for-a-dependency
        message: a dependency typed dict
        note: The same names written twice through a YAML alias.
        rule:
          kind: typed_default_parameter
          has:
            field: value
            kind: call
            has:
              field: function
              any:
                - any: &names [{pattern: Depends}, {pattern: Security}, {regex: '^Query$'}]
                - has: {field: attribute, any: *names}
        examples:
          invalid:
            - |
              def f(x: dict = fastapi.Depends(g)): ...  # expect: FAP905:7
          valid:
            - |
              def f(x: dict = Body(g)): ...
    """
)


def test_check_warns_about_a_part_written_twice(tmp_path):
    (tmp_path / "slow.yaml").write_text(REPEATED_PART)
    result = run_cli("check", str(tmp_path / "slow.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    warnings = [line for line in result.stdout.splitlines() if ": warning: " in line]
    assert len(warnings) == 1 and "the same 3 patterns and regexes are written 2 times" in warnings[0], result.stdout
    assert "rule.has.has.any[0].any" in warnings[0] and "rule.has.has.any[1].has.any" in warnings[0]
    # written once, as a util both places use: no warning
    as_util = REPEATED_PART.replace(
        "            - any: &names [{pattern: Depends}, {pattern: Security}, {regex: '^Query$'}]\n"
        "            - has: {field: attribute, any: *names}\n",
        "            - matches: names\n"
        "            - has: {field: attribute, matches: names}\n"
        "    utils:\n"
        "      names: {any: [{pattern: Depends}, {pattern: Security}, {regex: '^Query$'}]}\n",
    )
    assert as_util != REPEATED_PART
    (tmp_path / "slow.yaml").write_text(as_util)
    result = run_cli("check", str(tmp_path / "slow.yaml"), cwd=tmp_path)
    assert result.returncode == 0 and "warning" not in result.stdout, result.stdout + result.stderr


UTIL_FIRST = textwrap.dedent(
    """\
    rules:
      - code: FAP904
        name: handler-registered
        message: a handler is registered for this exception
        note: A module-wide search that runs a util before its cheap pattern, on every node.
        rule:
          pattern: raise $EXC
          inside:
            kind: module
            stopBy: end
            has:
              stopBy: end
              matches: registered
              pattern: $EXC
        utils:
          registered:
            nthChild: 1
            inside: {kind: argument_list}
        examples:
          invalid:
            - |
              app.add_exception_handler(E, h)
              raise E  # expect: FAP904:1
          valid:
            - |
              raise E
    """
)


def test_check_warns_about_a_module_wide_search_that_runs_a_util_first(tmp_path):
    (tmp_path / "slow.yaml").write_text(UTIL_FIRST)
    result = run_cli("check", str(tmp_path / "slow.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "runs `matches: registered` before its other tests" in result.stdout
    (tmp_path / "slow.yaml").write_text(UTIL_FIRST.replace(
        "matches: registered\n          pattern: $EXC", "pattern: $EXC\n          matches: registered"))
    result = run_cli("check", str(tmp_path / "slow.yaml"), cwd=tmp_path)
    assert result.returncode == 0 and "warning" not in result.stdout, result.stdout


def test_no_default_rule_runs_a_util_first_in_a_module_wide_search(rulebook):
    # FAP401 once did, and took 270 s on a route module with a 20,000-element list.
    from flake8_fastapi_prod.slow_shapes import slow_shape_warnings

    assert [w for r in rulebook.rules for w in slow_shape_warnings(r) if "before its other tests" in w] == []
