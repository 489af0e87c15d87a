"""Run a rulebook on one source text: parse once, skip rules that cannot apply, map matches.

A file none of whose rules' prefilter passes on its words is not parsed at all.

Positions come from ast-grep: lines are made 1-based, columns stay 0-based and counted in
characters, which is what flake8 expects from a plugin (it prints the column plus one).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from ast_grep_py import SgNode, SgRoot

from flake8_fastapi_prod.imports import read_imports
from flake8_fastapi_prod.model import Rule
from flake8_fastapi_prod.prefilter import SourceFacts, holds

INTERNAL_ERROR_CODE = "FAP001"
PARSE = "parse"  # the key of parsing time (and reading the words and imports) in check_source's timings
_METAVARIABLE = re.compile(r"\$([A-Z_][A-Z0-9_]*)")


@dataclass(frozen=True, order=True)
class Finding:
    line: int  # 1-based
    column: int  # 0-based, in characters
    code: str
    message: str

    @property
    def text(self) -> str:
        return f"{self.code} {self.message}"


def check_source(source: str, rules: list[Rule], timings: dict[str, float] | None = None) -> list[Finding]:
    """Every finding of ``rules`` in ``source``, sorted; an engine failure becomes one FAP001.

    With ``timings``, each rule's time (its prefilter included) is added to ``timings[code]``
    and parsing to ``timings["parse"]``: what ``flake8-fastapi-prod profile`` shows.
    """
    if not source.strip():
        return []
    started = time.perf_counter()
    facts = SourceFacts(source)
    if timings is not None:
        _add_time(timings, PARSE, started)
    candidates = []
    for rule in rules:  # judged from the words alone: most files need few rules, some none
        started = time.perf_counter()
        if holds(rule.requirement, facts):
            candidates.append(rule)
        if timings is not None:
            _add_time(timings, rule.code, started)
    if not candidates:
        return []
    started = time.perf_counter()
    try:
        root = SgRoot(source, "python").root()
        facts.spell = read_imports(root).spellings
    except BaseException as error:  # a pyo3 panic is a BaseException; the file is reported, not dropped
        return [_internal_error("parsing", error)]
    if timings is not None:
        _add_time(timings, PARSE, started)
    findings: set[Finding] = set()
    failures: list[tuple[str, BaseException]] = []
    for rule in candidates:
        started = time.perf_counter()
        try:
            if holds(rule.requirement, facts):  # now with the imports read
                for node in root.find_all(rule.config_for(facts.spell)):
                    findings.add(_finding(rule, node))
        except BaseException as error:
            failures.append((rule.code, error))
        if timings is not None:
            _add_time(timings, rule.code, started)
    if failures:  # the file is reported once, naming every rule that failed on it
        codes = ", ".join(code for code, _ in failures)
        findings.add(_internal_error(f"rule{'s' if len(failures) > 1 else ''} {codes}", failures[0][1]))
    return sorted(findings)


def _add_time(timings: dict[str, float], key: str, since: float) -> None:
    timings[key] = timings.get(key, 0.0) + time.perf_counter() - since


def _finding(rule: Rule, node: SgNode) -> Finding:
    start = node.range().start
    message = rule.message
    if "$" in message:
        message = _METAVARIABLE.sub(lambda m: _metavariable_text(node, m), message)
    return Finding(start.line + 1, start.column, rule.code, message)


def _metavariable_text(node: SgNode, match: re.Match) -> str:
    captured = node.get_match(match.group(1))
    return " ".join(captured.text().split()) if captured is not None else match.group(0)


def _internal_error(stage: str, error: BaseException) -> Finding:
    if isinstance(error, (KeyboardInterrupt, SystemExit)):
        raise error
    detail = " ".join(str(error).split())[:200] or type(error).__name__
    return Finding(1, 0, INTERNAL_ERROR_CODE, f"flake8-fastapi-prod failed on this file ({stage}): {detail}")
