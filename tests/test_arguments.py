"""The ``("args", ...)`` requirement: a call's arguments, found between its brackets in the
text, must hold what the rule's ``has: {field: arguments}`` needs."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest

from flake8_fastapi_prod.arguments import call_end
from flake8_fastapi_prod.imports import read_source_imports
from flake8_fastapi_prod.prefilter import SourceFacts, arguments_hold, holds
from flake8_fastapi_prod.requirements import arguments_requirement, requirement
from flake8_fastapi_prod.shorthand import in_written_order
from real_code import fastapi_sdist
from test_regions import found_lines, parsed_texts, rule_of

EXECUTE = ("method", frozenset({"execute"}))
PLUS = ("text", "+")


@pytest.mark.parametrize("call", [
    'f(a, (b), [c], {d: e})',
    'f("(", \')\', "[", x)',
    'f("""a ) " \'\'\' ( """, x)',
    "f('''it's ) ''', x)",
    'f("a \\" ) ", x)',
    'f(r"\\")", x)',  # a raw string still ends at an unescaped quote only
    'f(b"))", rb")", Rb"(", u"]")',
    'f(x  # a comment with ) and "\n  , y)',
    'f(x if"(" else y)',  # a keyword right before a quote is no prefix
    'f(\n    x,\n    "a" \\\n    ")",\n)',
    'f(x for x in "))")',
])
def test_the_end_of_a_call_is_its_own_closing_bracket(call):
    text = call + " + rest()"
    assert text[:call_end(text, 1)] == call


@pytest.mark.parametrize("text", [
    'f(f"{x})", y) + g',  # an f-string may hold brackets and quotes of its own: give up
    'f(t"{x}", y) + g',
    'f(Rf"{x}", y) + g',
    'f(x, "unterminated',
    'f(x, (y)',
])
def test_where_the_scan_cannot_tell_it_takes_the_rest_of_the_text(text):
    assert call_end(text, 1) == len(text)


def test_the_scan_is_never_short_on_real_code(request):
    """Every `(` of docs_src, as Python's tokenizer pairs them: the scan finds the same `)`,
    or the end of the text where an f-string is inside (never an earlier `)`)."""
    docs_src = fastapi_sdist(Path(request.config.cache.mkdir("real-code"))) / "docs_src"
    exact = gave_up = 0
    for path in sorted(docs_src.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        starts = [0]
        for line in text.splitlines(keepends=True):
            starts.append(starts[-1] + len(line))
        offset = lambda position: starts[position[0] - 1] + position[1]  # noqa: E731
        opened: list[int] = []
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.OP and token.string in "([{":
                opened.append(offset(token.start) if token.string == "(" else -1)
            elif token.type == tokenize.OP and token.string in ")]}":
                start = opened.pop()
                if start >= 0:
                    end = call_end(text, start)
                    assert end >= offset(token.end), (path, token.start)
                    exact += end == offset(token.end)
                    gave_up += end == len(text) != offset(token.end)
    assert exact > 3000 and gave_up < exact / 10, (exact, gave_up)


def test_the_arguments_of_the_named_call_must_hold_what_they_need():
    args = (EXECUTE, PLUS)
    assert arguments_hold('db.execute("SELECT " + name)', args, None)
    assert arguments_hold('db . execute (\n  # the query\n  "SELECT " + name)', args, None)
    # the `+` is elsewhere: in another call's arguments, before the call, in a string's `)`
    assert not arguments_hold('db.execute(query)\ntotal = count + 1', args, None)
    assert not arguments_hold('x = a + b; db.execute(q)', args, None)
    assert not arguments_hold('db.execute(q, ")") + 1', args, None)
    assert not arguments_hold('db.executemany(q + r)', args, None)


def test_a_call_of_an_imported_name_needs_the_files_spellings():
    args = (("call", ("sqlalchemy.text",)), PLUS)
    spelled = lambda names: ["sa.text"]  # noqa: E731
    assert arguments_hold('q = sa.text("a" + b)', args, spelled)
    assert not arguments_hold('q = sa.text(a)\nn = n + 1', args, spelled)
    assert arguments_hold('q = sa.text(a)\nn = n + 1', args, None)  # imports not read: may be anywhere


def test_the_file_level_check_reads_the_spellings_once_imports_are_known():
    source = 'import sqlalchemy as sa\nq = sa.text(a)\nn = n + 1\n'
    need = ("args", (("call", ("sqlalchemy.text",)), PLUS))
    facts = SourceFacts(source)
    assert holds(need, facts)  # judged from the words alone
    facts.know_imports(read_source_imports(source))
    assert not holds(need, facts)


def test_what_only_the_file_can_tell_is_not_asked_of_the_arguments():
    # an import's module is written in the import, not between the call's brackets
    needs = ("all", (PLUS, ("import", ("os.path.join",))))
    assert arguments_hold('db.execute(join(a) + b)', (EXECUTE, needs), None)


def test_a_call_rule_with_a_named_function_and_its_arguments_gets_the_requirement():
    body = in_written_order({"kind": "call", "all": [
        {"any": [
            {"has": {"field": "function", "has": {"field": "attribute", "pattern": "execute"}}},
            {"has": {"field": "function", "imported": ["sqlalchemy.text"]}},
        ]},
        {"has": {"field": "arguments", "has": {"kind": "binary_operator", "has": {"regex": "^[+]$"}}}},
    ]})
    derive = lambda has: requirement(has, {})  # noqa: E731
    function, needs = arguments_requirement(body, derive)[1]
    assert function == ("any", (EXECUTE, ("call", ("sqlalchemy.text",))))
    assert needs == PLUS
    assert ("args", (function, needs)) in requirement(body, {})[1]


@pytest.mark.parametrize("body", [
    # `stopBy: end`: the arguments of a call inside the function (`conn(x + 1).execute(q)`)
    {"kind": "call", "all": [
        {"has": {"field": "function", "has": {"field": "attribute", "pattern": "execute"}}},
        {"has": {"field": "arguments", "stopBy": "end", "has": {"regex": "^[+]$"}}},
    ]},
    {"kind": "call", "all": [
        {"has": {"field": "function", "stopBy": "end", "has": {"field": "attribute", "pattern": "execute"}}},
        {"has": {"field": "arguments", "has": {"regex": "^[+]$"}}},
    ]},
    # the function is not named
    {"kind": "call", "has": {"field": "arguments", "has": {"regex": "^[+]$"}}},
    # not a call
    {"kind": "decorator", "all": [
        {"has": {"field": "function", "has": {"field": "attribute", "pattern": "execute"}}},
        {"has": {"field": "arguments", "has": {"regex": "^[+]$"}}},
    ]},
])
def test_no_requirement_where_the_brackets_could_be_another_calls(body):
    assert arguments_requirement(in_written_order(body), lambda has: requirement(has, {})) is None


FORMATTED_EXECUTE = {"kind": "call", "all": [
    {"has": {"field": "function", "has": {"field": "attribute", "pattern": "execute"}}},
    {"has": {"field": "arguments", "has": {"kind": "binary_operator", "has": {"field": "operator", "regex": "^[+]$"}}}},
]}
FUNCTION_WITH_UNRELATED_PLUS = '''
def report(db, query, rows):
    db.execute(query)
    return len(rows) + 1
''' + "X = 1\n" * 20


def test_a_statement_whose_call_has_plain_arguments_is_not_parsed(monkeypatch):
    rule = rule_of(FORMATTED_EXECUTE)
    parsed = parsed_texts(monkeypatch)
    assert found_lines(FUNCTION_WITH_UNRELATED_PLUS, [rule]) == []
    assert parsed == []  # `execute` and `+` in one function, but not in one call


def test_a_call_with_formatting_in_its_arguments_is_still_found():
    rule = rule_of(FORMATTED_EXECUTE)
    source = FUNCTION_WITH_UNRELATED_PLUS + 'def run(db, name):\n    db.execute(\n        ")"  # (\n        + name)\n'
    assert found_lines(source, [rule]) == [26]  # the `db.execute(` line
