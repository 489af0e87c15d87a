"""docs/rules.md is generated from the rulebook; this fails when it is stale."""

from __future__ import annotations

from conftest import ROOT, run_cli
from flake8_fastapi_prod import docs


def test_rule_docs_are_up_to_date():
    result = run_cli("docs", "--check", "--output", "docs/rules.md", cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_rule_docs_cover_every_rule(rulebook):
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in rulebook.rules:
        assert f"## {rule.code} `{rule.name}`" in text
        assert docs.show_example(rule.examples.invalid[0]).strip() in text
    assert "# expect:" not in text


def test_stale_docs_are_detected(tmp_path):
    stale = tmp_path / "rules.md"
    stale.write_text("# outdated\n")
    assert run_cli("docs", "--check", "--output", str(stale), cwd=ROOT).returncode == 1
    assert run_cli("docs", "--output", str(stale), cwd=ROOT).returncode == 0
    assert run_cli("docs", "--check", "--output", str(stale), cwd=ROOT).returncode == 0


def test_readme_lists_every_rule(rulebook):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in rulebook.rules:
        assert f"[{rule.code}](docs/rules.md#{rule.code.lower()}-{rule.name})" in readme


def test_readme_team_rulebook_example_works(tmp_path):
    """The worked example in the README: its setup.cfg and team rulebook, through flake8."""
    import re

    from conftest import reported, run_flake8

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    config = re.search(r"```ini\n(\[flake8\]\nfap-rulebooks =.*?)```", readme, re.S).group(1)
    team = re.search(r"`lint/team-rules.yaml`:\n\n```yaml\n(.*?)```", readme, re.S).group(1)
    (tmp_path / "setup.cfg").write_text(config)
    (tmp_path / "lint").mkdir()
    (tmp_path / "lint" / "team-rules.yaml").write_text(team)
    (tmp_path / "app.py").write_text("import time\n\n\nasync def handler():\n    print('hi')\n    time.sleep(1)\n")
    result = run_flake8("app.py", cwd=tmp_path, isolated=False)
    assert result.returncode == 1, result.stderr
    assert {(line, code) for _, line, _, code in reported(result.stdout)} == {(5, "FAP901"), (6, "FAP202")}
    assert "do not sleep in async code (see wiki/async)" in result.stdout.decode()


def test_readme_try_it_command_shows_every_rule_once(rulebook):
    """The README's first command, on the example app: each rule of the pack fires once."""
    import re
    import shlex

    from conftest import reported, run_flake8

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    arguments = shlex.split(re.search(r"&& \.venv/bin/flake8 (.*)\n", readme).group(1))
    result = run_flake8(*arguments, cwd=ROOT)
    assert sorted(code for *_, code in reported(result.stdout)) == sorted(rule.code for rule in rulebook.rules)
