"""``# expect: FAP202:5`` comments: where a snippet or fixture file must be flagged.

One format serves the rulebook's examples and the end-to-end fixture files:
``# expect: CODE[:COLUMN][, CODE[:COLUMN]...]`` at the end of the line that must be
reported, the column 1-based as flake8 prints it. Without a column only the line is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flake8_fastapi_prod.engine import Finding, check_source
from flake8_fastapi_prod.model import Rule

_EXPECT = re.compile(r"#\s*expect:\s*(?P<items>[A-Z]+[0-9]+(?::[0-9]+)?(?:\s*,\s*[A-Z]+[0-9]+(?::[0-9]+)?)*)\s*$")


@dataclass(frozen=True, order=True)
class Expected:
    line: int
    code: str
    column: int | None  # 1-based, or None when only the line matters


def parse_expectations(source: str) -> list[Expected]:
    expected: list[Expected] = []
    for number, line in enumerate(source.splitlines(), start=1):
        match = _EXPECT.search(line)
        if not match:
            continue
        for item in match.group("items").split(","):
            code, _, column = item.strip().partition(":")
            expected.append(Expected(number, code, int(column) if column else None))
    return sorted(expected)


def as_expected(findings: list[Finding], like: list[Expected]) -> list[Expected]:
    """``findings`` in the shape of ``like``: columns kept only where an expectation gives one."""
    with_column = {(e.line, e.code) for e in like if e.column is not None}
    return sorted(
        Expected(f.line, f.code, f.column + 1 if (f.line, f.code) in with_column else None) for f in findings
    )


def example_problems(rule: Rule) -> list[str]:
    """What is wrong with a rule's own examples, checked through the real engine; [] if nothing."""
    problems = [invalid_example_problem(rule, snippet, i) for i, snippet in enumerate(rule.examples.invalid, 1)]
    problems += [valid_example_problem(rule, snippet, i) for i, snippet in enumerate(rule.examples.valid, 1)]
    problems += [fix_example_problem(rule, pair, i) for i, pair in enumerate(rule.examples.fixes, 1)]
    if rule.examples.fixes and not rule.fix:
        problems.append("has fix examples but no 'fix'")
    return [p for p in problems if p]


def fix_example_problem(rule: Rule, pair: tuple[str, str], index: int) -> str | None:
    """None when the fix turns ``before`` into ``after`` exactly, parses, and fixes it for good."""
    from flake8_fastapi_prod.fixes import fix_source  # fixes imports this module's engine too

    before, after = pair
    result = fix_source(before, [rule])
    if result.source != after:
        return f"fix example {index}: the fix gives\n{result.source}instead of\n{after}"
    try:
        compile(after, f"<fix example {index}>", "exec", flags=0x400, dont_inherit=True)  # PyCF_ONLY_AST
    except SyntaxError as error:
        return f"fix example {index}: the fixed code does not parse: {error}"
    if fix_source(after, [rule]).source != after:
        return f"fix example {index}: fixing a second time changes the code again"
    if not result.fixed:
        return f"fix example {index}: the rule fixed nothing"
    return None


def invalid_example_problem(rule: Rule, snippet: str, index: int) -> str | None:
    """None when the rule reports exactly the lines (and columns) the snippet marks."""
    expected = [e for e in parse_expectations(snippet) if e.code == rule.code]
    if not expected:
        return f"invalid example {index} marks no line with '# expect: {rule.code}'"
    found = as_expected(check_source(snippet, [rule]), expected)
    if found != expected:
        return f"invalid example {index}: expected {_show(expected)}, got {_show(found)}"
    return None


def valid_example_problem(rule: Rule, snippet: str, index: int) -> str | None:
    """None when the rule reports nothing on the snippet."""
    found = check_source(snippet, [rule])
    if found:
        return f"valid example {index} is flagged: {_show(as_expected(found, []))}"
    return None


def _show(items: list[Expected]) -> str:
    if not items:
        return "nothing"
    return ", ".join(f"{e.code} on line {e.line}" + (f" col {e.column}" if e.column else "") for e in items)
