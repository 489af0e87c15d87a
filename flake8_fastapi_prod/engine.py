"""Run a rulebook on one source text: parse once, skip rules that cannot apply, map matches.

A file none of whose rules' prefilter passes on its words and imports is not parsed by
tree-sitter at all. Given Python's syntax tree of the file, the rules left are judged per
top-level statement (:mod:`flake8_fastapi_prod.regions`): a rule no statement can hold a
match of is not run, and tree-sitter parses only the statements the others need.

Positions come from ast-grep: lines are made 1-based, columns stay 0-based and counted in
characters, which is what flake8 expects from a plugin (it prints the column plus one).
"""

from __future__ import annotations

import ast
import operator
import re
import time
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple, Sequence

from flake8_fastapi_prod.branches import unusable
from flake8_fastapi_prod.imports import Imports, Spell, python_tree, read_imports
from flake8_fastapi_prod.module_facts import as_if_absent, askable, decide
from flake8_fastapi_prod.model import Rule
from flake8_fastapi_prod.prefilter import Requirement, SourceFacts, TriggerIndex, beyond_triggers, holds
from flake8_fastapi_prod.pytest_config import pytest_option
from flake8_fastapi_prod.regions import regions
from flake8_fastapi_prod.settings import is_disabled_by

if TYPE_CHECKING:
    from ast_grep_py import SgNode

INTERNAL_ERROR_CODE = "FAP001"
PARSE = "parse"  # the key of parsing time (and reading the words and imports) in check_source's timings
_NONE: frozenset[tuple] = frozenset()  # no branch dropped


class Finding(NamedTuple):  # a named tuple: created for every finding, and its class costs nothing at start-up
    line: int  # 1-based
    column: int  # 0-based, in characters
    code: str
    message: str

    @property
    def text(self) -> str:
        return f"{self.code} {self.message}"


def check_source(
    source: str, rules: Sequence[Rule], timings: dict[str, float] | None = None, tree: ast.AST | None = None,
    path: str | None = None,
) -> list[Finding]:
    """Every finding of ``rules`` in ``source``, sorted; an engine failure becomes one FAP001.

    ``tree`` is the source's Python syntax tree when the caller has one (flake8 does); it is
    read for the file's imports. With ``timings``, each rule's time (its prefilter included)
    is added to ``timings[code]`` and reading the file (its words, imports and tree-sitter
    parse) to ``timings["parse"]``: what ``flake8-fastapi-prod profile`` shows. ``path`` is
    where the source is from (``stdin`` for flake8's standard input): a rule turned off by a
    setting of the project's pytest configuration is turned off by the one that applies
    there; without a path, such a rule keeps its setting's default.
    """
    if not source or source.isspace():  # (`strip()` would copy the whole text)
        return []
    started = time.perf_counter()
    facts = SourceFacts(source)
    if timings is not None:
        _add_time(timings, PARSE, started)
    # Judged from the words alone: most files need few rules, some none.
    candidates = _passing(_trigger_index(rules).passing(facts.words), facts, timings)
    if path is not None and any(rule.pytest_off for rule, _ in candidates):  # test modules, mostly
        candidates = [(rule, rest) for rule, rest in candidates if not _off_by_pytest(rule, path)]
    if not candidates:
        return []
    imports = None
    if any(rule.imported_names for rule, _ in candidates):
        started = time.perf_counter()
        tree = tree if tree is not None else python_tree(source)
        imports = read_imports(tree, source) if tree is not None else None
        if timings is not None:
            _add_time(timings, PARSE, started)
        if imports is None:
            # Python cannot parse the file, so what it imports is unknown: a rule that needs
            # imports could only guess (an exemption for an imported name would be missed).
            candidates = [(rule, rest) for rule, rest in candidates if not rule.imported_names]
        else:
            facts.know_imports(imports)
            candidates = _passing(candidates, facts, timings)  # now with the imports read
        if not candidates:
            return []
    started = time.perf_counter()
    visible, narrow_text, in_narrow = None, None, [False] * len(candidates)
    if tree is not None:  # the top-level statements that can hold a match, by Python's tree
        reaches = [rule.reach for rule, _ in candidates]
        texts, spellable = (imports.texts, imports.spellable) if imports is not None else (None, None)
        visible, reached, narrow = regions(source, tree, reaches, facts.words, texts, spellable)
        if narrow is not None:
            narrow_text, in_narrow = narrow
        kept = [i for i, can_match in enumerate(reached) if can_match]
        candidates, in_narrow = [candidates[i] for i in kept], [in_narrow[i] for i in kept]
        if not candidates:
            if timings is not None:
                _add_time(timings, PARSE, started)
            return []
    try:
        trees = {False: _parsed(visible or source, imports)}
        if narrow_text is not None:
            trees[True] = _parsed(narrow_text, imports)
    except BaseException as error:  # a pyo3 panic is a BaseException; the file is reported, not dropped
        return [_internal_error("parsing", error)]
    if timings is not None:
        _add_time(timings, PARSE, started)
    findings: set[Finding] = set()
    failures: list[tuple[str, BaseException]] = []
    for (rule, _), narrow_rule in zip(candidates, in_narrow):
        started = time.perf_counter()
        root, spell = trees[narrow_rule]
        try:
            dropped = unusable(rule.branches, facts) if rule.branches else _NONE
            module_facts = askable(rule.module_facts, dropped) if rule.module_facts else ()
            absent = as_if_absent(module_facts)  # the module searches left out: only more is found
            config, screen = rule.configs_for(spell, dropped | absent if absent else dropped)
            if screen is not None and rule.screen_tally.worth_trying(screen.share):
                spared = root.find(screen.config) is None  # then the rule has no match here either
                rule.screen_tally.record(spared)
                if spared:
                    continue
            nodes = root.find_all(config)
            if nodes and module_facts:  # asked once, now that there are candidates
                decided = decide(module_facts, root, spell, rule.utils)
                if decided is None:
                    nodes = []
                elif decided != absent:  # the module holds what a `not` searches for
                    nodes = root.find_all(rule.configs_for(spell, dropped | decided)[0])
            for node in nodes:
                findings.add(_finding(rule, node))
        except BaseException as error:
            failures.append((rule.code, error))
        if timings is not None:
            _add_time(timings, rule.code, started)
    if failures:  # the file is reported once, naming every rule that failed on it
        codes = ", ".join(code for code, _ in failures)
        findings.add(_internal_error(f"rule{'s' if len(failures) > 1 else ''} {codes}", failures[0][1]))
    return sorted(findings)


def _off_by_pytest(rule: Rule, path: str) -> bool:
    """Whether the pytest configuration that applies to ``path`` turns ``rule`` off."""
    return bool(rule.pytest_off) and is_disabled_by(rule.pytest_off, lambda name: pytest_option(name, path))


def _parsed(text: str, imports: Imports | None) -> tuple[SgNode, Spell]:
    """tree-sitter's tree of ``text``, and how the file's imports spell names in it."""
    root = tree_sitter_root(text)
    return root, (imports or Imports()).located(root)  # without imports read, no rule asks for one


def tree_sitter_root(text: str) -> SgNode:
    """The root of tree-sitter's tree of the Python source ``text``.

    ast-grep-py is imported by the first file parsed, not when flake8 starts: most files are
    judged on their words and imports alone, and in an editor flake8 often parses none (the
    import is ~6M instructions, an eighth of the plugin's start-up)."""
    from ast_grep_py import SgRoot

    return SgRoot(text, "python").root()


def _passing(
    candidates: list[tuple[Rule, Requirement]], facts: SourceFacts, timings: dict[str, float] | None,
) -> list[tuple[Rule, Requirement]]:
    """The rules (each with what its triggers leave to check) whose prefilter passes on
    what ``facts`` knows of the file."""
    passing = []
    for rule, rest in candidates:
        started = time.perf_counter() if timings is not None else 0.0
        if rest is True or holds(rest, facts):
            passing.append((rule, rest))
        if timings is not None:
            _add_time(timings, rule.code, started)
    return passing


class _Indexed(NamedTuple):
    given: Sequence[Rule]  # what the caller passed
    rules: list[Rule]  # a copy: a list passed could change after the index was built
    index: TriggerIndex[tuple[Rule, Requirement]]


_last_indexed: list[_Indexed] = []  # the rules last asked for, with their index


def _trigger_index(rules: Sequence[Rule]) -> TriggerIndex[tuple[Rule, Requirement]]:
    """The trigger index of a list of rules, built again only when the rules change: the
    plugin and the command line pass the same rules for every file. The plugin passes a
    tuple, which cannot change, so it is known by its identity alone."""
    if _last_indexed:
        last = _last_indexed[0]
        if last.given is rules and type(rules) is tuple:
            return last.index
        if len(last.rules) == len(rules) and all(map(operator.is_, last.rules, rules)):
            return last.index
    items = [(rule.triggers, (rule, beyond_triggers(rule.requirement))) for rule in rules]
    _last_indexed[:] = [_Indexed(rules, list(rules), TriggerIndex(items))]
    return _last_indexed[0].index


def _add_time(timings: dict[str, float], key: str, since: float) -> None:
    timings[key] = timings.get(key, 0.0) + time.perf_counter() - since


def _finding(rule: Rule, node: SgNode) -> Finding:
    start = node.range().start
    message = rule.message
    if "$" in message:
        message = _metavariable().sub(lambda m: _metavariable_text(node, m), message)
    return Finding(start.line + 1, start.column, rule.code, message)


@lru_cache(maxsize=1)
def _metavariable() -> re.Pattern:  # compiled for the first message that names one, not at every start
    return re.compile(r"\$([A-Z_][A-Z0-9_]*)")


def _metavariable_text(node: SgNode, match: re.Match) -> str:
    captured = node.get_match(match.group(1))
    return " ".join(captured.text().split()) if captured is not None else match.group(0)


def _internal_error(stage: str, error: BaseException) -> Finding:
    if isinstance(error, (KeyboardInterrupt, SystemExit)):
        raise error
    detail = " ".join(str(error).split())[:200] or type(error).__name__
    return Finding(1, 0, INTERNAL_ERROR_CODE, f"flake8-fastapi-prod failed on this file ({stage}): {detail}")
