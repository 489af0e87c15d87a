"""Each rule's reach, and the regions of a file tree-sitter parses: the top-level statements
some rule can match in or needs, the others blanked, with every finding unchanged."""

from __future__ import annotations

import ast
import gc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flake8_fastapi_prod import engine
from flake8_fastapi_prod.engine import check_source
from flake8_fastapi_prod.imports import read_source_imports
from flake8_fastapi_prod.model import Rule
from flake8_fastapi_prod.plugin import loaded_rulebook
from flake8_fastapi_prod.prefilter import words_of
from flake8_fastapi_prod.reach import reach
from flake8_fastapi_prod.regions import _has_word, _RunTests, regions
from flake8_fastapi_prod.shorthand import in_written_order

SLEEP_IN_ASYNC = {
    "kind": "call",
    "has": {"field": "function", "imported": "time.sleep"},
    "inside": {"kind": "function_definition", "regex": "^async", "stopBy": "end"},
}
PADDING = "X = 1\n" * 20  # module-level constants no rule needs: runs that get blanked
ROUTE_MODULE = {"inside": {"kind": "module", "stopBy": "end", "has": {"stopBy": "end", "pattern": "import fastapi"}}}


def rule_of(body: dict, code: str = "FAP901", utils: dict | None = None) -> Rule:
    body = in_written_order(body)
    return Rule(code=code, name="r", message="m", body=body, utils=utils or {},
                imported_names=("time.sleep",) if "time.sleep" in repr(body) else (),
                reach=reach(body, utils or {}, {}))


def found_lines(source: str, rules: list[Rule]) -> list[int]:
    return [f.line for f in check_source(source, rules, tree=ast.parse(source))]  # as flake8 calls it


def parsed_texts(monkeypatch) -> list[str]:
    parsed: list[str] = []
    real_root = engine.tree_sitter_root
    monkeypatch.setattr(engine, "tree_sitter_root", lambda text: parsed.append(text) or real_root(text))
    return parsed


def test_a_rule_inside_one_statement_needs_that_statements_words():
    statement, contexts, matches_module = reach(in_written_order(SLEEP_IN_ASYNC), {}, {})
    assert statement == ("all", (("word", "def"), ("text", "async"), ("call", ("time.sleep",))))
    assert contexts == () and matches_module is False


def test_a_module_wide_search_names_the_statements_it_may_find():
    body = in_written_order({"kind": "call", "pattern": "app.get($$$)", **ROUTE_MODULE})
    statement, contexts, _ = reach(body, {}, {})
    fastapi_import = ("all_words", frozenset({"import", "fastapi"}))
    # the statement of a match, and somewhere in the file, the statement the search finds
    assert statement == ("all", (
        ("all_words", frozenset({"app", "get"})), ("method", frozenset({"get"})), ("somewhere", fastapi_import),
    ))
    assert contexts == (fastapi_import,)


@pytest.mark.parametrize("body", [
    # the statement right after another: which one that is depends on what is blanked
    {"kind": "expression_statement", "follows": {"kind": "import_statement"}},
    # a top-level statement's position among the module's children
    {"kind": "expression_statement", "nthChild": 2},
    # the text of the module itself
    {"kind": "module", "regex": "fastapi"},
    # a key this engine does not know
    {"kind": "call", "someNewKey": 1},
])
def test_a_rule_that_can_see_the_file_as_a_whole_has_no_reach(body):
    assert reach(body, {}, {}) is None


def test_siblings_below_the_top_level_and_any_sibling_keep_a_reach():
    below = {"kind": "keyword_argument", "follows": {"kind": "keyword_argument"}, "nthChild": 2}
    assert reach(below, {}, {}) is not None
    anywhere_before = {"kind": "expression_statement", "follows": {"stopBy": "end", "pattern": "import os"}}
    _, contexts, _ = reach(in_written_order(anywhere_before), {}, {})
    assert contexts == (("all_words", frozenset({"import", "os"})),)


def test_blanked_statements_keep_the_lines_and_columns_of_the_rest():
    source = "import time\n\n\ndef unrelated():\n" + "    x = 1\n" * 10 + "\n\nasync def handler():\n    time.sleep(1)\n"
    rule = rule_of(SLEEP_IN_ASYNC)
    imports = read_source_imports(source)
    text, reached, _ = regions(source, ast.parse(source), [rule.reach], words_of(source), imports.texts)
    assert reached == [True]
    assert text is not None and text.count("\n") == source.count("\n")
    assert "unrelated" not in text and "    time.sleep(1)\n" in text
    assert [(f.line, f.column) for f in check_source(source, [rule])] == [(18, 4)]


def test_a_rule_no_statement_can_hold_a_match_is_not_run(monkeypatch):
    # time.sleep is imported and called, and the module has an async def, but not around the call
    source = "import time\n\n\nasync def handler():\n" + "    x = 1\n" * 10 + "\n\ndef tick():\n    time.sleep(1)\n"
    parsed = parsed_texts(monkeypatch)
    assert check_source(source, [rule_of(SLEEP_IN_ASYNC)], tree=ast.parse(source)) == []
    assert parsed == []


def test_an_aliased_import_in_another_statement_still_counts(monkeypatch):
    # The statement holding the call spells it `nap`; the import that says so is elsewhere.
    source = "from time import sleep as nap\n\n\n" + PADDING + "\n\nasync def handler():\n    nap(1)\n"
    parsed = parsed_texts(monkeypatch)
    found = check_source(source, [rule_of(SLEEP_IN_ASYNC)], tree=ast.parse(source))
    assert [(f.line, f.code) for f in found] == [(27, "FAP901")]
    assert len(parsed) == 1 and parsed[0].count("X = 1") < 10  # most constants were blanked


def test_the_statements_a_module_wide_search_needs_are_kept(monkeypatch):
    rule = rule_of({"kind": "call", "pattern": "app.get($$$)", **ROUTE_MODULE}, "FAP902")
    source = "import fastapi\n\n\n" + PADDING + "\n\ndef f():\n    app.get('/')\n"
    parsed = parsed_texts(monkeypatch)
    assert found_lines(source, [rule]) == [27]
    # the import statement, not the constants that follow it
    assert "import fastapi" in parsed[0] and parsed[0].count("X = 1") == 0
    # without the import, the same call is not a finding
    assert found_lines(source.replace("import fastapi", "import os"), [rule]) == []


def test_the_statements_a_not_searches_for_are_kept(monkeypatch, rulebook):
    # FAP303 leaves `Cls.from_orm(...)` alone where a class of the file defines `from_orm`
    # (arize-phoenix's GraphQL types): the class is many statements away from the call,
    # and regions must keep it for the rule's `not` to find it.
    fap303 = [rulebook.rule("FAP303")]
    own_method = (
        "import strawberry\n\n\n@strawberry.type\nclass Log:\n    @classmethod\n"
        "    def from_orm(cls, row):\n        return cls()\n\n\n" + PADDING + "\n\ndef load(row):\n"
        "    return Log.from_orm(row)\n"
    )
    parsed = parsed_texts(monkeypatch)
    assert found_lines(own_method, fap303) == []
    assert "def from_orm" in parsed[0] and parsed[0].count("X = 1") == 0  # kept, and the constants blanked
    # a class with a method of another name: the call is Pydantic's, and flagged
    assert found_lines(own_method.replace("def from_orm", "def to_orm"), fap303) == [34]


def test_a_rule_without_reach_gets_the_whole_file(monkeypatch):
    whole = {"kind": "expression_statement", "follows": {"kind": "expression_statement"}, "has": {"pattern": "time.sleep(1)"}}
    rules = [rule_of(SLEEP_IN_ASYNC), rule_of(whole, "FAP903")]
    source = "import time\n\n\n" + PADDING + "\ntime.sleep(1)\n\n\nasync def h():\n    time.sleep(1)\n"
    parsed = parsed_texts(monkeypatch)
    found = check_source(source, rules, tree=ast.parse(source))
    assert parsed == [source]
    assert sorted((f.line, f.code) for f in found) == [(25, "FAP903"), (29, "FAP901")]


def test_a_rule_on_the_module_itself_keeps_only_what_its_search_can_find(monkeypatch):
    # A finding on the module (line 1): the module calls `app.add_event_handler`.
    body = {"kind": "module", "has": {"stopBy": "end", "pattern": "app.add_event_handler($$$)"}}
    statement, contexts, matches_module = reach(body, {}, {})
    assert statement is False and matches_module is True
    assert contexts == (("all", (
        ("all_words", frozenset({"app", "add_event_handler"})), ("method", frozenset({"add_event_handler"})),
    )),)
    rule = rule_of(body, "FAP904")
    source = "import fastapi\n\n\n" + PADDING + "\n\napp.add_event_handler('startup', go)\n"
    parsed = parsed_texts(monkeypatch)
    assert found_lines(source, [rule]) == [1]
    assert "add_event_handler" in parsed[0] and parsed[0].count("X = 1") < 10
    assert found_lines(source.replace("app.add_event_handler('startup', go)", "app.include_router(r)"), [rule]) == []


def test_a_constraint_that_searches_the_module_keeps_what_it_can_find():
    # the metavariable's node must be a name the module assigns from FastAPI()
    constraint = {"inside": {"kind": "module", "stopBy": "end", "has": {"stopBy": "end", "pattern": "$N = FastAPI()"}}}
    body = in_written_order({"pattern": "$APP.get($$$)", "kind": "call"})
    _, contexts, _ = reach(body, {}, {"APP": constraint})
    assert contexts == (("word", "FastAPI"),)


# `danger(...)` in any number of parentheses: the util refers to itself.
WRAPPED = {"any": [{"pattern": "danger($$$)"}, {"kind": "parenthesized_expression", "has": {"matches": "wrapped"}}]}
CALL_OF_WRAPPED = {"kind": "call", "has": {"field": "arguments", "has": {"matches": "wrapped"}}}


def test_a_util_that_refers_to_itself_needs_what_its_other_branches_need():
    # A match through the parentheses has `danger(...)` further down, in the same statement.
    statement, _, _ = reach(CALL_OF_WRAPPED, {"wrapped": WRAPPED}, {})
    assert statement == ("word", "danger")


def test_statements_without_the_base_of_a_recursive_util_are_blanked(monkeypatch):
    rule = rule_of(CALL_OF_WRAPPED, utils={"wrapped": WRAPPED})
    source = PADDING + "\n\nrun(((danger(1))))\nrun((safe(1)))\n"
    parsed = parsed_texts(monkeypatch)
    assert found_lines(source, [rule]) == [23]
    assert "danger" in parsed[0] and "safe" not in parsed[0]


def test_a_util_derived_within_another_ones_recursion_is_not_reused_outside_it():
    # Each util refers to the other. Deriving `in-list` first takes `in-tuple` to match
    # only `beta` while `in-list` is being derived; the rule's second conjunct uses
    # `in-tuple` on its own, where `(alpha,)` matches it without `beta`.
    utils = {
        "in-list": {"any": [{"pattern": "alpha"}, {"kind": "list", "has": {"matches": "in-tuple"}}]},
        "in-tuple": {"any": [{"pattern": "beta"}, {"kind": "tuple", "has": {"matches": "in-list"}}]},
    }
    body = {"kind": "expression_statement", "all": [
        {"has": {"stopBy": "end", "matches": "in-list"}},
        {"has": {"stopBy": "end", "matches": "in-tuple"}},
    ]}
    rule = rule_of(body, utils=utils)
    source = PADDING + "\n\nx = (alpha,)\n"
    assert found_lines(source, [rule]) == [23]
    statement, _, _ = rule.reach
    assert statement == ("any_word", frozenset({"alpha", "beta"}))


def test_a_top_level_neighbour_up_to_a_stop_has_no_reach():
    body = {"kind": "expression_statement", "follows": {"kind": "import_statement", "stopBy": {"kind": "function_definition"}}}
    assert reach(body, {}, {}) is None


AT_IMPORT_TIME = {
    "kind": "call",
    "has": {"field": "function", "pattern": "connect"},
    "inside": {"kind": "module", "stopBy": {"any": [{"kind": "function_definition"}, {"kind": "lambda"}]}},
}


def test_a_rule_confined_to_import_time_needs_its_words_outside_functions():
    statement, _, _ = reach(in_written_order(AT_IMPORT_TIME), {}, {})
    assert statement == ("import_time", ("word", "connect"))


@pytest.mark.parametrize("body", [
    # the node may be a function, whose body is below it
    {**AT_IMPORT_TIME, "kind": "function_definition"},
    {key: value for key, value in AT_IMPORT_TIME.items() if key != "kind"},
    # a stop that lets the search climb out of a function
    {**AT_IMPORT_TIME, "inside": {"kind": "module", "stopBy": {"kind": "lambda"}}},
    {**AT_IMPORT_TIME, "inside": {"kind": "module", "stopBy": {"kind": "function_definition", "regex": "^async"}}},
    {**AT_IMPORT_TIME, "inside": {"kind": "module", "stopBy": "end"}},
])
def test_other_rules_are_not_confined_to_import_time(body):
    statement, _, _ = reach(in_written_order(body), {}, {})
    assert statement[0] != "import_time"


def test_a_rule_confined_to_import_time_skips_function_bodies_but_not_decorators(monkeypatch):
    rule = rule_of(AT_IMPORT_TIME)
    in_functions = (
        "import db\n\n\ndef open_db(conn=connect()):\n    return connect()\n" + PADDING
        + "class Store:\n    async def load(self):\n        return connect()\n"
    )
    parsed = parsed_texts(monkeypatch)
    assert found_lines(in_functions, [rule]) == []
    assert parsed == []  # no statement can hold a match: not parsed at all
    decorated = "import db\n" + PADDING + "@register(connect())\ndef handler():\n    pass\n"
    assert found_lines(decorated, [rule]) == [22]
    at_module_level = in_functions + PADDING + "pool = connect()\n"
    assert found_lines(at_module_level, [rule]) == [at_module_level.count("\n")]


def test_a_module_wide_search_needs_what_it_finds_somewhere_in_the_file(monkeypatch):
    # Either a `Session()` in a module that calls `sessionmaker` somewhere, or `connect()`; at import time.
    body = {
        "kind": "call",
        "inside": {"kind": "module", "stopBy": {"any": [{"kind": "function_definition"}]}},
        "any": [
            {"pattern": "Session()", "inside": {"kind": "module", "stopBy": "end", "has": {"stopBy": "end", "pattern": "sessionmaker"}}},
            {"pattern": "connect()"},
        ],
    }
    rule = rule_of(body)
    # `connect` occurs (inside a function) and `Session()` at import time, but nothing calls sessionmaker
    source = "import db\n\nsession = Session()\n" + PADDING + "def open_db():\n    return connect()\n"
    parsed = parsed_texts(monkeypatch)
    assert found_lines(source, [rule]) == []
    assert parsed == []
    with_factory = source + PADDING + "factory = sessionmaker()\n"
    assert found_lines(with_factory, [rule]) == [3]


def test_a_rule_needing_few_statements_of_a_large_file_gets_a_text_of_its_own(monkeypatch):
    # 500 lines of constants one rule searches, and one async handler the other does:
    # the handler's rule walks a parse of its own few lines, not the 500.
    constants = {"kind": "assignment", "pattern": "X = $V"}
    rules = [rule_of(constants, "FAP905"), rule_of(SLEEP_IN_ASYNC)]
    source = "import time\n\n\n" + "X = 1\n" * 500 + "\n\nasync def handler():\n    time.sleep(1)\n"
    parsed = parsed_texts(monkeypatch)
    found = check_source(source, rules, tree=ast.parse(source))
    assert sorted((f.code, f.line) for f in found) == [("FAP901", 507)] + [("FAP905", line) for line in range(4, 504)]
    wide, narrow = parsed
    assert wide.count("X = 1") == 500
    assert narrow.count("X = 1") == 0 and "    time.sleep(1)\n" in narrow
    assert wide.count("\n") == narrow.count("\n") == source.count("\n")  # lines and columns as they were


def test_a_small_file_is_parsed_once_whatever_its_rules_need(monkeypatch):
    constants = {"kind": "assignment", "pattern": "X = $V"}
    rules = [rule_of(constants, "FAP905"), rule_of(SLEEP_IN_ASYNC)]
    source = "import time\n\n\n" + "X = 1\n" * 50 + "\n\nasync def handler():\n    time.sleep(1)\n"
    parsed = parsed_texts(monkeypatch)
    assert len(check_source(source, rules, tree=ast.parse(source))) == 51
    assert len(parsed) == 1


_RUN_TEXT = st.text(alphabet="ab1_ .(\n", max_size=12)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(runs=st.lists(_RUN_TEXT, min_size=1, max_size=40), word=st.sampled_from(["a", "ab", "b_", "(", "a.b"]),
       some=st.data())
def test_a_word_looked_for_in_all_runs_at_once_is_found_in_the_same_runs(runs, word, some):
    """Asked of many runs, a word is looked for once in the runs' joined text; the runs
    found are those a search of each run finds, asked of any runs, whole word or not."""
    tests = _RunTests(runs, words_of("".join(runs)), None)
    where = frozenset(some.draw(st.sets(st.integers(0, len(runs) - 1))))
    every = frozenset(range(len(runs)))
    for whole in (True, False):
        expected = {i for i in every if (_has_word(runs[i], word) if whole else word in runs[i])}
        assert tests._with_any_word([word], every, whole) == expected  # the scan of the joined text
        assert tests._with_any_word([word], where, whole) == expected & where  # kept, or a few runs searched


def test_telling_regions_apart_leaves_no_garbage_for_the_collector():
    """The tests on a file's runs refer to each other without a cycle: a cycle would keep
    them, the file's imports and Python's tree of the file alive until the collector's next
    pass, and start more of its passes (4,000 objects a pass over docs_src)."""
    source = (
        "from fastapi import FastAPI\nfrom sqlalchemy import create_engine\nimport time\n\n"
        "engine = create_engine(URL)\napp = FastAPI()\n\n\n@app.get('/')\nasync def read():\n"
        "    time.sleep(1)\n    return create_engine(URL)\n"
    ) + PADDING
    rules = loaded_rulebook().rules
    assert found_lines(source, rules)  # the runs were told apart, import time included
    gc.collect()
    gc.disable()
    try:
        assert found_lines(source, rules)
        assert gc.collect() == 0
    finally:
        gc.enable()
