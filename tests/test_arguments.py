"""The ``("args", ...)`` requirement: a call's arguments, found between its brackets in the
text, must hold what the rule's ``has: {field: arguments}`` needs."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flake8_fastapi_prod.arguments import _literal_end, call_end, code_of
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


@pytest.mark.parametrize("call", [
    'f(f"{x})", y)',  # an f-string whose braces close and hold no quote: read as a plain literal
    "f(f'a \"(\" {b!r:>{w}}', c)",  # quotes between the fields
    'f(rt"{x}\\d)", y)',
    'f(f"""{x}\n)""", y)',
    'f(F"{{)}}", y)',  # escaped braces
])
def test_an_f_string_that_every_python_reads_alike_is_skipped(call):
    text = call + " + rest()"
    assert text[:call_end(text, 1)] == call


@pytest.mark.parametrize("text", [
    'f(f"{d["k"]})", y) + g',  # Python 3.12: a quote inside a field; the literal goes on
    "f(f'{d[\"k\"]})', y) + g",
    """f(f'{"}" + d['k']}', y) + g""",  # Python 3.12: a brace in a string in a field, then a quote
    'f(f"{x", y) + g',  # a field still open
    'f(f"{{)", y) + g',  # `{{` counts as two: give up
    'f(x, "unterminated',
    'f(x, (y)',
])
def test_where_the_scan_cannot_tell_it_takes_the_rest_of_the_text(text):
    assert call_end(text, 1) == len(text)


LITERAL_PIECES = ["a", " ", ")", "{x}", "{{", "}}", "'", '"', '\\"', "\\'", "{y!r:>{w}}", "{d['k']}", '{d["k"]}', "\n"]


@settings(max_examples=2000, deadline=None, derandomize=True, database=None)
@given(st.sampled_from(["", "f", "rf", "Fr", "b", "u"]), st.sampled_from(['"', "'", '"""', "'''"]),
       st.lists(st.sampled_from(LITERAL_PIECES), max_size=8).map("".join))
def test_a_literal_ends_where_python_ends_it_or_the_scan_says_it_cannot_tell(prefix, quote, body):
    text = f"{prefix}{quote}{body}{quote} + rest"
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return  # not Python: nothing to compare
    python_end = _first_literal_end(text)
    found = _literal_end(text, len(prefix))
    assert found in (-1, python_end), (text, found, python_end)
    if "{" not in body and prefix in ("", "b", "u"):
        assert found == python_end  # a plain literal is always read


def _first_literal_end(text: str) -> int:
    """Where Python's tokenizer ends the string literal that ``text`` starts with (from 3.12,
    an f-string is several tokens, up to its FSTRING_END)."""
    line_starts = [0]
    for line in text.split("\n"):
        line_starts.append(line_starts[-1] + len(line) + 1)
    depth = 0
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        name = tokenize.tok_name[token.type]
        depth += name == "FSTRING_START"
        depth -= name == "FSTRING_END"
        if depth == 0 and name in ("STRING", "FSTRING_END"):
            return line_starts[token.end[0] - 1] + token.end[1]
    raise AssertionError(f"no literal in {text!r}")


def docs_src_tokens(request) -> Iterator[tuple[Path, str, Iterator[tuple[tokenize.TokenInfo, int, int]]]]:
    """Each module of docs_src: its path, its text, and its tokens with where each starts and
    ends in the text."""
    docs_src = fastapi_sdist(Path(request.config.cache.mkdir("real-code"))) / "docs_src"
    for path in sorted(docs_src.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        starts = [0]
        for line in text.splitlines(keepends=True):
            starts.append(starts[-1] + len(line))
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        yield path, text, ((token, starts[token.start[0] - 1] + token.start[1], starts[token.end[0] - 1] + token.end[1])
                           for token in tokens)


def test_the_scan_is_never_short_on_real_code(request):
    """Every `(` of docs_src, as Python's tokenizer pairs them: the scan finds the same `)`,
    or the end of the text where an f-string is inside (never an earlier `)`)."""
    exact = gave_up = 0
    for path, text, tokens in docs_src_tokens(request):
        opened: list[int] = []
        for token, start, end in tokens:
            if token.type == tokenize.OP and token.string in "([{":
                opened.append(start if token.string == "(" else -1)
            elif token.type == tokenize.OP and token.string in ")]}":
                opening = opened.pop()
                if opening >= 0:
                    found = call_end(text, opening)
                    assert found >= end, (path, token.start)
                    exact += found == end
                    gave_up += found == len(text) != end
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


@pytest.mark.parametrize(("text", "code"), [
    ('x("a%b" % y, b"z+", Rb\'\\\'+\')', 'x("" % y, b"", Rb\'\')'),  # prefixes and quotes stay
    ("x(\'\'\'a ' b\'\'\' + w, \"it\\\"s\")", "x(\'\'\'\'\'\' + w, \"\")"),
    ('x(y)  # 100% sure\n  + z', 'x(y)  \n  + z'),
    ('x(if"a+b", y)', 'x(if"", y)'),  # a keyword before a quote is no prefix
    ('x("a%" + f"{b}%", "c%")', 'x("" + f"{b}%", "c%")'),  # from an f-string on, the text is code
    ('x(t"{a}", "b%")', 'x(t"{a}", "b%")'),
    ('x("%s" % a, "unterminated %', 'x("" % a, "unterminated %'),
    ('x(r"\\" % a)', 'x(r"\\" % a)'),  # `r"\"` goes on past its second quote
])
def test_code_leaves_out_what_comments_and_plain_strings_hold(text, code):
    assert code_of(text) == code


@settings(max_examples=1000, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(list("abfrt()#'\"\\\n\r%+. ") + ["\'\'\'", '"""', "f'", 'rb"']), max_size=40).map("".join))
def test_code_only_leaves_text_out(text):
    # whatever the text, even a broken one: what is kept is the text's own, in order
    code = code_of(text)
    rest = iter(text)
    assert all(char in rest for char in code)
    if not set("#'\"") & set(text):
        assert code == text


def test_code_is_what_pythons_tokenizer_calls_code(request):
    """docs_src, every file: the text without its comments and the contents of its plain
    string literals, as Python's tokenizer finds them, up to the first f-string."""
    compared = 0
    for path, text, tokens in docs_src_tokens(request):
        expected, kept_from = [], 0
        for token, start, end in tokens:
            if token.type == tokenize.COMMENT:
                expected.append(text[kept_from:start])
                kept_from = end
            elif tokenize.tok_name[token.type] in ("FSTRING_START", "TSTRING_START"):
                break  # Python 3.12+: an f-string is tokens of its own, not one STRING
            elif token.type == tokenize.STRING:
                literal = token.string.lstrip("rRbBuUfFtT")
                prefix = token.string[:len(token.string) - len(literal)]
                if {"f", "t"} & set(prefix.lower()):
                    break
                quote = literal[:3] if literal[:3] in ('"""', "\'\'\'") else literal[0]
                expected.append(text[kept_from:start + len(prefix) + len(quote)])
                kept_from = end - len(quote)
        expected.append(text[kept_from:])
        assert code_of(text) == "".join(expected), path
        compared += 1
    assert compared > 500


def test_what_only_code_can_hold_is_looked_for_in_code():
    # `%` as an operator's regex (its `operator` field), `.format(` as a method call, an
    # f-string's prefix: none can be in a comment or a plain string
    body = in_written_order({"kind": "call", "all": [
        {"has": {"field": "function", "has": {"field": "attribute", "pattern": "execute"}}},
        {"has": {"field": "arguments", "has": {"any": [
            {"kind": "binary_operator", "has": {"field": "operator", "regex": "^%$"}},
            {"kind": "call", "has": {"field": "function", "has": {"field": "attribute", "pattern": "format"}}},
            {"kind": "string_start", "regex": "^f"},
        ]}}},
    ]})
    derive = lambda has: requirement(has, {})  # noqa: E731
    derive_in_code = lambda has: requirement(has, {}, in_code=True)  # noqa: E731
    function, needs = arguments_requirement(body, derive, derive_in_code)[1]
    assert needs[0] == "code" and needs[1] == derive(body["all"][1]["has"])
    args = (function, needs)
    assert not arguments_hold('db.execute("SELECT %s", (x,))  # formatted % elsewhere', args, None)
    assert not arguments_hold('db.execute("SELECT \'{}\'.format(x)")', args, None)
    assert arguments_hold('db.execute("SELECT %s" % x)', args, None)
    assert arguments_hold('db.execute("SELECT {}".format(x))', args, None)
    assert arguments_hold('db.execute(f"SELECT {x}")', args, None)


@pytest.mark.parametrize("argument", [
    # a regex on a node that may be a string, or hold one
    {"has": {"regex": "%"}},
    {"has": {"kind": "string", "regex": "SELECT"}},
    # a word of a pattern's own string literal
    {"has": {"pattern": '"localhost"'}},
])
def test_what_a_string_could_hold_is_looked_for_in_the_whole_text(argument):
    body = in_written_order({"kind": "call", "all": [
        {"has": {"field": "function", "has": {"field": "attribute", "pattern": "run"}}},
        {"has": {"field": "arguments", **argument}},
    ]})
    derive = lambda has: requirement(has, {})  # noqa: E731
    _, needs = arguments_requirement(body, derive, lambda has: requirement(has, {}, in_code=True))[1]
    assert needs[0] != "code"


FORMATTED_IN_STRINGS = '''
def report(db, query, rows):
    db.execute("SELECT 1 + 1")  # the `+` is SQL
    db.execute(query)  # + nothing
    return len(rows) + 1
''' + "X = 1\n" * 20


def test_a_statement_whose_call_has_formatting_only_in_its_strings_is_not_parsed(monkeypatch):
    rule = rule_of(FORMATTED_EXECUTE)
    parsed = parsed_texts(monkeypatch)
    assert found_lines(FORMATTED_IN_STRINGS, [rule]) == []
    assert parsed == []
    assert found_lines(FORMATTED_IN_STRINGS.replace('"SELECT 1 + 1"', '"SELECT " + query'), [rule]) == [3]
