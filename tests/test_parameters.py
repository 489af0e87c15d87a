"""The ``("params", ...)`` requirement: a rule whose node is a function's parameter must find
what the node needs between the brackets of some `def`, not anywhere in its statement."""

from __future__ import annotations

import ast
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flake8_fastapi_prod.arguments import call_end
from flake8_fastapi_prod.prefilter import _parameter_openings, _parameters_of, parameters_hold
from flake8_fastapi_prod.reach import reach
from flake8_fastapi_prod.requirements import parameters_requirement, requirement
from flake8_fastapi_prod.shorthand import in_written_order
from flake8_fastapi_prod.effective import load_effective_rulebook
from real_code import fastapi_sdist
from test_regions import found_lines, parsed_texts, rule_of

DICT = ("word", "dict")


@pytest.mark.parametrize("source", [
    "def f(x: dict): ...",
    "async def f(\n    q: int,\n    body: dict = None,\n): ...",
    "def f(x: str = ')', y: dict = None): ...",  # a `)` in a default's string
    "def \\\n  f  (x: dict): ...",  # trivia between the parts
    "def größe(x: dict): ...",  # a name Python reads with `\w`
    "def f[T: (int, str)](x: dict): ...",  # type parameters, then the parameters
    "class A:\n    def m(self, x: dict): ...",
])
def test_a_parameter_that_holds_the_word_is_found(source):
    assert parameters_hold(source, DICT)


@pytest.mark.parametrize("source", [
    "def f(x: int) -> dict: ...",  # the return type
    '@app.get("/", response_model=dict)\ndef f(x: int): ...',  # the decorator
    "def f(x: int):\n    return dict(x=x)",  # the body
    "def f[T: dict](x: T): ...",  # the type parameters
    "g = lambda x: dict(x)",  # a lambda's parameters are not `parameters`
    "x = dict()",  # no function at all
])
def test_the_word_elsewhere_in_the_statement_does_not_count(source):
    assert not parameters_hold(source, DICT)


@pytest.mark.parametrize("source", [
    'NOTE = "def"\ndef f(x) -> dict: ...',  # a `def` in a string
    "# def is how a function starts\ndef f(x) -> dict: ...",
])
def test_a_def_that_is_not_followed_by_a_name_and_brackets_could_hide_one(source):
    assert _parameter_openings(source) is None
    assert parameters_hold(source, DICT)


def test_the_scan_finds_every_functions_parameters_on_real_code(request):
    docs_src = fastapi_sdist(request.config.cache.mkdir("real-code")) / "docs_src"
    compared = unread = 0
    for path in sorted(docs_src.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "\r" in source:
            continue
        openings = _parameter_openings(source)
        if openings is None:  # allowed, and then the requirement holds; rare in real code
            unread += 1
            continue
        lines = source.split("\n")
        line_starts = [0]
        for line in lines:
            line_starts.append(line_starts[-1] + len(line) + 1)
        expected = []
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # Python's tree has no position for the `(`: the first `(` after the name
                start = line_starts[node.lineno - 1] + node.col_offset
                expected.append(source.index("(", source.index(node.name, start)))
        assert sorted(openings) == sorted(expected), path
        compared += len(expected)
    assert compared > 900 and unread < 6, (compared, unread)


# Statements that write `dict` or `def` in every place a module can: parameters, return
# types, bodies, strings, comments, lambdas, methods, line continuations.
FRAGMENTS = [
    "def f(x: dict): pass\n",
    "def g(x) -> dict: pass\n",
    'async def h(\n    a: int = ")",  # (\n    b: "def" = 1,\n) -> None: pass\n',
    "# def x(y: dict)\n",
    'S = "def f(x: dict)"\n',
    "class C:\n    def m(self, y: Dict = dict()): pass\n",
    "l = lambda q: dict(q)\n",
    "def \\\n  w(v: dict = None): pass\n",
    "undefined = default = 1\n",
    "def k(*args, **kwargs) -> dict: return dict(kwargs)\n",
    "@app.get('/', response_model=dict)\ndef r(q: int = 1): pass\n",
]


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=6).map("".join))
def test_a_parameter_that_holds_the_word_is_never_missed(source):
    functions = [node for node in ast.walk(ast.parse(source)) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    in_parameters = any(isinstance(node, ast.Name) and node.id == "dict"
                        for function in functions for node in ast.walk(function.args))
    if in_parameters:
        assert parameters_hold(source, DICT)
    elif "#" not in source and '"' not in source:  # nothing could hide a definition
        assert not parameters_hold(source, DICT)


PARAMETER_ANNOTATED_DICT = {
    "any": [{"kind": "typed_parameter"}, {"kind": "typed_default_parameter"}],
    "has": {"field": "type", "has": {"stopBy": "end", "pattern": "dict"}},
    "inside": {"kind": "parameters", "inside": {"kind": "function_definition", "has": {"pattern": "route"}}},
}


def test_a_rule_on_a_parameter_gets_what_its_own_node_needs():
    body = in_written_order(PARAMETER_ANNOTATED_DICT)
    derive = lambda node: requirement(node, {}, within=True)  # noqa: E731
    assert parameters_requirement(body, derive) == ("params", (DICT, ()))  # not `route`, a word of its function
    statement, _, _ = reach(body, {}, {})
    assert ("params", (DICT, ())) in statement[1]  # tested on each statement
    assert ("params", (DICT, ())) not in requirement(body, {})[1]  # not on the whole file


def test_what_a_node_holds_leaves_out_its_parents_and_siblings():
    body = in_written_order({"pattern": "f($X)", "has": {"pattern": "a"}, "inside": {"pattern": "b"},
                             "follows": {"pattern": "c"}, "all": [{"precedes": {"pattern": "d"}}]})
    assert requirement(body, {}, within=True) == ("all_words", frozenset({"f", "a"}))
    assert requirement(body, {}) == ("all_words", frozenset({"f", "a", "b", "c", "d"}))


@pytest.mark.parametrize("body", [
    {"kind": "typed_parameter", "has": {"pattern": "dict"}},  # no parent said
    {"kind": "typed_parameter", "has": {"pattern": "dict"}, "inside": {"kind": "lambda_parameters"}},
    {"kind": "typed_parameter", "has": {"pattern": "dict"}, "not": {"inside": {"kind": "parameters"}}},
    {"any": [{"inside": {"kind": "parameters"}}, {"kind": "call"}], "has": {"pattern": "dict"}},
    {"kind": "typed_parameter", "inside": {"kind": "parameters"}},  # nothing its text needs
])
def test_no_requirement_unless_the_node_is_a_parameter(body):
    body = in_written_order(body)
    assert parameters_requirement(body, lambda node: requirement(node, {}, within=True)) is None


ROUTES_RETURNING_DICT = '''
from fastapi import FastAPI

app = FastAPI()


@app.get("/items", response_model=dict)
def route(limit: int = 10) -> dict:
    return {"limit": limit}
''' + "X = 1\n" * 20


def test_a_file_that_names_the_type_outside_any_parameter_is_not_parsed(monkeypatch):
    rule = rule_of(PARAMETER_ANNOTATED_DICT)
    parsed = parsed_texts(monkeypatch)
    assert found_lines(ROUTES_RETURNING_DICT, [rule]) == []
    assert parsed == []
    assert found_lines(ROUTES_RETURNING_DICT.replace("limit: int = 10", "limit: dict = None"), [rule]) == [8]


def test_fap403_is_not_run_on_a_route_that_returns_dict(monkeypatch):
    rules = [rule for rule in load_effective_rulebook([]).rules if rule.code == "FAP403"]
    parsed = parsed_texts(monkeypatch)
    assert found_lines(ROUTES_RETURNING_DICT, rules) == []
    assert parsed == []
    body_source = ROUTES_RETURNING_DICT.replace('@app.get("/items", response_model=dict)', '@app.post("/items")')
    assert found_lines(body_source.replace("limit: int = 10", "limit: dict"), rules) == [8]


def test_a_statement_that_names_the_type_outside_its_parameters_is_not_parsed(monkeypatch):
    rule = rule_of(PARAMETER_ANNOTATED_DICT)
    parsed = parsed_texts(monkeypatch)
    # the file holds a parameter annotated `dict`, but in a function that is no route
    source = ROUTES_RETURNING_DICT + "\n\ndef helper(x: dict):\n    return x\n"
    assert found_lines(source, [rule]) == []
    assert parsed == []


# The `not` of FAP403 as a team would write it: a dependency or a query is not the body.
NOT_A_BODY = {
    "utils": {
        "not-body-name": {"any": [{"pattern": "Depends"}, {"pattern": "Query"}]},
        "not-body-call": {"kind": "call", "has": {"field": "function", "any": [
            {"matches": "not-body-name"}, {"has": {"field": "attribute", "matches": "not-body-name"}},
        ]}},
    },
    "rule": {
        "all": [
            {"any": [{"kind": "typed_parameter"}, {"kind": "typed_default_parameter"}]},
            {"has": {"field": "type", "has": {"stopBy": "end", "pattern": "dict"}}},
            {"not": {"any": [
                {"has": {"field": "value", "matches": "not-body-call"}},
                {"has": {"field": "type", "has": {"stopBy": "end", "matches": "not-body-call"}}},
            ]}},
            {"inside": {"kind": "parameters", "inside": {"kind": "function_definition", "has": {"pattern": "route"}}}},
        ],
    },
}
NAMES = frozenset({"Depends", "Query"})


def not_a_body_rule():
    return rule_of(NOT_A_BODY["rule"], utils=NOT_A_BODY["utils"])


def test_what_a_parameter_can_show_of_the_rules_not():
    body, utils = in_written_order(NOT_A_BODY["rule"]), NOT_A_BODY["utils"]
    derive = lambda node: requirement(node, utils, within=True)  # noqa: E731
    assert parameters_requirement(body, derive, utils) == (
        "params", (DICT, (("type_call", (NAMES, NAMES)), ("value_call", (NAMES, NAMES))))
    )


@pytest.mark.parametrize("negated", [
    {"has": {"field": "value", "kind": "call"}},  # any call: no names
    {"has": {"field": "value", "regex": "Depends"}},
    {"all": [{"has": {"field": "value", "matches": "not-body-call"}}, {"kind": "typed_parameter"}]},
    {"has": {"field": "type", "has": {"matches": "not-body-call"}}},  # a child, not anywhere below
    {"has": {"field": "name", "matches": "not-body-call"}},
    {"has": {"field": "value", "kind": "call", "has": {"field": "function", "regex": "Depends$"}}},
])
def test_nothing_else_proves_a_not(negated):
    conjuncts = NOT_A_BODY["rule"]["all"]
    body = in_written_order({"all": [conjuncts[0], conjuncts[1], {"not": negated}, conjuncts[3]]})
    derive = lambda node: requirement(node, NOT_A_BODY["utils"], within=True)  # noqa: E731
    assert parameters_requirement(body, derive, NOT_A_BODY["utils"]) == ("params", (DICT, ()))


PROOFS = (("type_call", (NAMES, NAMES)), ("value_call", (NAMES, NAMES)))


def test_the_split_gives_pythons_parameters_on_real_code(request):
    docs_src = fastapi_sdist(request.config.cache.mkdir("real-code")) / "docs_src"
    split = 0
    for path in sorted(docs_src.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        openings = _parameter_openings(source) if "\r" not in source else None
        functions = [n for n in ast.walk(ast.parse(source)) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        if openings is None or len(openings) != len(functions):
            continue
        for opening, function in zip(sorted(openings), sorted(functions, key=lambda f: (f.lineno, f.col_offset))):
            parameters = _parameters_of(source[opening:call_end(source, opening)])
            if parameters is None:
                continue
            arguments = function.args
            names = [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]
            names += [f"*{arguments.vararg.arg}"] if arguments.vararg else ["*"] if arguments.kwonlyargs else []
            names += [f"**{arguments.kwarg.arg}"] if arguments.kwarg else []
            names += ["/"] if arguments.posonlyargs else []
            written = [p.strip() for p in parameters if p.strip()]  # a trailing comma leaves an empty one
            assert sorted(re.match(r"\**\w*|/", p).group() for p in written) == sorted(names), (path, function.name)
            split += 1
    assert split > 800  # 883 on docs_src


@pytest.mark.parametrize(("parameters", "holds_there"), [
    ("commons: dict = Depends(common)", False),
    ("commons: dict=fastapi . Depends (common)", False),
    ("ctx: Annotated[dict, Depends(get_context)] = None", False),
    ("q: dict = Query(None), commons: dict = Depends(common)", False),
    ("item: dict", True),
    ("commons: dict = Depends(common), item: dict = None", True),  # the second one
    ("x: dict = Depends(a)(b)", True),  # a call of what the call returns
    ("x: dict = Depends(a) or {}", True),
    ("x: dict = (Depends(a))", True),  # a parenthesised call is no call to ast-grep
    ("x: dict = MyDepends(a)", True),
    ("x: dict = f(Depends(a))", True),
    ("x: dict = 'Depends(a)'", True),  # strings: not read
    ("x: dict = Depends(a)  # Depends(b)", True),  # comments: not read
    ("x: dict = lambda a, b: Depends(a)", True),  # lambdas: not read
    ("x: dict = \\\n    Depends(a)", True),  # continuations: not read
    ("x: Annotated[dict, Body()] = Depends(a) == b", True),
])
def test_a_parameter_that_shows_a_proof_is_left_out(parameters, holds_there):
    source = f"def route({parameters}): ..."
    assert parameters_hold(source, DICT, PROOFS) is holds_there
    assert parameters_hold(source, DICT)  # without proofs, the word is enough


ROUTE_MODULE = """from typing import Annotated, Any, Dict
import fastapi
from fastapi import Body, Depends, Query

router = fastapi.APIRouter()


@router.post("/items")
def route({parameters}):
    return None
"""

# Parameters as a module can write them: (with a default?, text with {n} for its name)
WITHOUT_DEFAULT = ["{n}: dict", "{n}: Annotated[dict, Depends(get)]", "{n}: Annotated[dict, Body()]", "{n}: int",
                   "{n}: Annotated[dict, 'Depends(x)']", "{n}: Dict[str, Any]", "{n}"]
WITH_DEFAULT = ["{n}: dict = None", "{n}: dict = Depends(get)", "{n}: dict = fastapi.Depends(get)",
                "{n}: dict = Query(None)", "{n}: dict=Depends( get )", "{n}: dict = Depends(get)(x)",
                "{n}: dict = (Depends(get))", "{n}: dict = f(Depends(get))", "{n}: dict = Depends(get) or {{}}",
                "{n}: dict = lambda a, b: Depends(a)", "{n}: dict = {{1: Depends(get)}}", "{n}: int = Depends(get)",
                "{n}: Annotated[dict, Depends(get)] = None", "{n}: dict = 'Depends(get)'", "{n}=Depends(get)",
                "{n}: dict = Depends # why\n    (get)", "{n}: dict = [Depends(get), 1][0]"]


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(WITHOUT_DEFAULT), max_size=3), st.lists(st.sampled_from(WITH_DEFAULT), max_size=3),
       st.sampled_from([", ", ",\n    "]))
def test_proofs_never_leave_out_a_match(plain, defaulted, separator):
    """The rule finds the same with its prefilter as without, on every list of parameters."""
    parameters = separator.join(text.format(n=f"p{i}") for i, text in enumerate(plain + defaulted))
    source = ROUTE_MODULE.format(parameters=parameters)
    ast.parse(source)  # Python reads every module built here, as flake8 needs
    rule = not_a_body_rule()
    unfiltered = rule.replace(requirement=True, triggers=(), reach=None, branches=())
    assert found_lines(source, [rule]) == found_lines(source, [unfiltered])


def test_a_route_whose_dict_parameters_are_dependencies_is_not_parsed(monkeypatch):
    source = ROUTE_MODULE.format(parameters="q: str, commons: dict = Depends(common)") + "X = 1\n" * 20
    rules = [not_a_body_rule(), load_effective_rulebook([]).rule("FAP403")]
    parsed = parsed_texts(monkeypatch)
    for rule in rules:
        assert found_lines(source, [rule]) == []
    assert parsed == []
    body = source.replace("commons: dict = Depends(common)", "commons: dict = Body(None)")
    assert [found_lines(body, [rule]) for rule in rules] == [[9], [9]]
