"""Rule documentation made from the rulebook: ruff's sections, filled from each rule's fields.

The same text serves ``docs/rules.md`` (checked for staleness by the tests) and the CLI's
``explain``, so the docs show exactly the examples the tests run.
"""

from __future__ import annotations

import re

from flake8_fastapi_prod.model import Rule, Rulebook

FAMILIES = {
    "FAP0": "the plugin itself",
    "FAP1": "application and database lifecycle",
    "FAP2": "blocking calls in async code",
    "FAP3": "request models and partial updates",
    "FAP4": "endpoints",
    "FAP5": "tests",
    "FAP9": "team rules",
}
_EXPECT_COMMENT = re.compile(r"\s*# expect:.*$", re.MULTILINE)


def family_title(code: str) -> str:
    return FAMILIES.get(code[:4], "other")


def state(rule: Rule) -> str:
    return "on by default" if rule.enabled else "off by default"


def show_example(snippet: str) -> str:
    """A snippet as shown to people: the test-only `# expect:` markers removed."""
    return _EXPECT_COMMENT.sub("", snippet).rstrip() + "\n"


def anchor(rule: Rule) -> str:
    """The link target of a rule's section: `fap202-time-sleep-in-async`."""
    return f"{rule.code.lower()}-{rule.name}"


def rule_markdown(rule: Rule, heading: str = "##", with_anchor: bool = False) -> str:
    parts = [f'<a id="{anchor(rule)}"></a>', ""] if with_anchor else []
    parts += [f"{heading} {rule.code} `{rule.name}` ({state(rule)})", "", f"**What it does**: {rule.message}.", ""]
    parts += [f"{heading}# Why is this bad?", "", rule.note.strip(), ""]
    if rule.examples.invalid:
        parts += [f"{heading}# Example", "", "```python", show_example(rule.examples.invalid[0]).rstrip(), "```", ""]
    if rule.examples.valid:
        parts += [f"{heading}# Left alone", ""]
        for snippet in rule.examples.valid:
            parts += ["```python", show_example(snippet).rstrip(), "```", ""]
    if rule.examples.fixes:
        before, after = rule.examples.fixes[0]
        parts += [f"{heading}# Fix", "", "`flake8-fastapi-prod fix` rewrites, where it is certain to be correct:", ""]
        parts += ["```python", before.rstrip(), "```", "", "into", "", "```python", after.rstrip(), "```", ""]
    if rule.settings or rule.disabled_when:
        parts += [f"{heading}# Settings", ""]
        parts += [
            f"- `{name}` (default: `{value!r}`"
            + (f"; where no team sets it, the file's pytest configuration gives it: `{name}`, "
               f"or `--{name.replace('_', '-')}` in `addopts`)" if name in rule.pytest_settings else ")")
            for name, value in rule.settings.items()
        ]
        parts += [f"- off when `{name}` is `{value}`" for name, value in rule.disabled_when.items()]
        parts.append("")
    return "\n".join(parts)


def rulebook_markdown(rulebook: Rulebook) -> str:
    """docs/rules.md: an index table, then one section per rule, grouped by family."""
    lines = [
        "# The rules of flake8-fastapi-prod",
        "",
        "Generated from `rules.yaml` by `flake8-fastapi-prod docs`; do not edit by hand.",
        "",
        "| code | name | family | default | message |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| [{r.code}](#{anchor(r)}) | `{r.name}` | {family_title(r.code)} | "
              f"{'on' if r.enabled else 'off'} | {r.message} |" for r in rulebook.rules]
    lines.append("")
    family = None
    for rule in rulebook.rules:
        if rule.code[:4] != family:
            family = rule.code[:4]
            lines += [f"# {family}xx: {family_title(rule.code)}", ""]
        lines.append(rule_markdown(rule, with_anchor=True))
    return "\n".join(lines).rstrip() + "\n"
