"""The ``("stmt", ...)`` requirement: a rule whose node is a simple statement that starts with
its keyword (`raise`, `return`...) must find what the node needs between the keyword and the
end of one such statement, not anywhere in the file."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from flake8_fastapi_prod.arguments import statement_end
from flake8_fastapi_prod.effective import load_effective_rulebook
from flake8_fastapi_prod.prefilter import statements_hold
from flake8_fastapi_prod.reach import reach
from flake8_fastapi_prod.requirements import requirement, statement_requirement
from flake8_fastapi_prod.shorthand import in_written_order
from real_code import fastapi_sdist
from test_regions import found_lines, parsed_texts

VALUE_ERROR = ("word", "ValueError")
IMPORTED_VALUE_ERROR = ("import", ("builtins.ValueError",))


@pytest.mark.parametrize("statement", [
    'raise ValueError("x")',
    'raise X(\n    1,\n    f"{a})",\n)',  # brackets over lines, an f-string holding `)`
    "raise A \\\n    from B",  # a line continuation
    "raise A  # a comment holding ) and (",
    "raise A('''x\n''')",
    "return {\n    'a': [1, 2],\n}",
])
def test_a_statement_ends_at_its_line_break(statement):
    text = statement + "\nnext_statement()"
    assert text[:statement_end(text, 0)] == statement


@pytest.mark.parametrize(("text", "statement"), [
    ("raise A; b = 1", "raise A"),
    ("return x\r\ny", "return x"),
])
def test_a_statement_ends_at_a_semicolon_or_a_carriage_return(text, statement):
    assert text[:statement_end(text, 0)] == statement


@pytest.mark.parametrize("text", [
    'raise A(f"{d["k"]}")\nnext()',  # Python 3.12: a quote inside a field
    "raise A)\nnext()",  # a bracket closed that the scan did not see opened
    'raise A("unterminated\nnext()',
])
def test_where_the_scan_cannot_tell_the_statement_takes_the_rest_of_the_text(text):
    assert statement_end(text, 0) == len(text)


def test_the_scan_is_never_short_on_real_code(request):
    """Every `raise` and `return` of docs_src, as Python's tree has them: the scan ends past
    the statement, with nothing but spaces and a comment between, or at the end of the text."""
    docs_src = fastapi_sdist(Path(request.config.cache.mkdir("real-code"))) / "docs_src"
    exact = gave_up = 0
    for path in sorted(docs_src.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "\r" in text or not text.isascii():  # the tree's columns are bytes
            continue
        line_starts = [0]
        for line in text.split("\n"):
            line_starts.append(line_starts[-1] + len(line) + 1)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.Raise, ast.Return)):
                start = line_starts[node.lineno - 1] + node.col_offset
                end = line_starts[node.end_lineno - 1] + node.end_col_offset
                found = statement_end(text, start)
                assert found >= end, (path, node.lineno)
                if found == len(text) and text[end:].strip():
                    gave_up += 1
                else:
                    assert text[end:found].strip() == "" or text[end:found].lstrip().startswith("#"), (path, node.lineno)
                    exact += 1
    assert exact > 900 and gave_up < 10, (exact, gave_up)


def test_the_statement_must_hold_what_the_node_needs():
    handled = "try:\n    x = int(v)\nexcept ValueError:\n    raise HTTPException(400)\n"
    assert not statements_hold(handled, "raise", VALUE_ERROR)
    assert statements_hold(handled + "raise ValueError('bad')\n", "raise", VALUE_ERROR)
    assert not statements_hold("raised = 1\nraise_it(ValueError)\n", "raise", VALUE_ERROR)  # no `raise` keyword


def test_an_imported_name_counts_in_any_of_its_spellings():
    spelled = lambda names: ["VE", "ValueError"]  # noqa: E731  (`from builtins import ValueError as VE`)
    assert statements_hold("raise VE('bad')\n", "raise", IMPORTED_VALUE_ERROR, spelled)
    assert not statements_hold("except VE:\n    raise HTTPException(400)\n", "raise", IMPORTED_VALUE_ERROR, spelled)
    # imports not read: the name may be spelled any way
    assert statements_hold("except VE:\n    raise HTTPException(400)\n", "raise", IMPORTED_VALUE_ERROR)


def test_a_rule_on_a_raise_statement_gets_what_its_own_node_needs():
    body = in_written_order({"kind": "raise_statement", "has": {"stopBy": "end", "pattern": "ValueError"},
                             "inside": {"kind": "function_definition", "has": {"pattern": "route"}}})
    derive = lambda node: requirement(node, {}, within=True)  # noqa: E731
    expected = ("stmt", ("raise", ("all_words", frozenset({"raise", "ValueError"}))))
    assert statement_requirement(body, derive) == expected  # not `route`, a word of its function
    statement, _, _ = reach(body, {}, {})
    assert expected in statement[1]  # tested on each statement
    assert expected not in requirement(body, {})[1]  # not on the whole file


@pytest.mark.parametrize("body", [
    {"kind": "raise_statement"},  # nothing but the keyword
    {"kind": "call", "has": {"pattern": "ValueError"}},
    {"any": [{"kind": "raise_statement"}, {"kind": "call"}], "has": {"pattern": "ValueError"}},
])
def test_no_requirement_unless_the_node_is_such_a_statement_and_needs_more(body):
    body = in_written_order(body)
    assert statement_requirement(body, lambda node: requirement(node, {}, within=True)) is None


ROUTE_HANDLING_VALUE_ERROR = '''from fastapi import FastAPI, HTTPException
from builtins import ValueError as VE

app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: str):
    try:
        return int(item_id)
    except ValueError:
        raise HTTPException(status_code=400, detail=f"bad {item_id}")
'''


def test_fap401_is_not_run_where_no_raise_names_a_builtin_exception(monkeypatch):
    rules = [rule for rule in load_effective_rulebook([]).rules if rule.code == "FAP401"]
    parsed = parsed_texts(monkeypatch)
    assert found_lines(ROUTE_HANDLING_VALUE_ERROR, rules) == []
    assert parsed == []
    for raised in ('ValueError("bad")', 'VE("bad")'):  # the builtin, and its alias
        source = ROUTE_HANDLING_VALUE_ERROR.replace(
            'raise HTTPException(status_code=400, detail=f"bad {item_id}")', f"pass\n    raise {raised}")
        assert found_lines(source, rules) == [13]


def test_a_route_whose_raises_name_no_builtin_exception_is_not_parsed(monkeypatch):
    rules = [rule for rule in load_effective_rulebook([]).rules if rule.code == "FAP401"]
    parsed = parsed_texts(monkeypatch)
    # the file raises ValueError, but in a helper, which is no route
    source = ROUTE_HANDLING_VALUE_ERROR + "\n\ndef parse(value):\n    raise ValueError(value)\n"
    assert found_lines(source, rules) == []
    assert parsed == []
