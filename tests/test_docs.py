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
