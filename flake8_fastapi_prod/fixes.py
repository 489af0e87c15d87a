"""Apply the fixes that rules declare, where the result is certain to be correct.

A rule's ``fix`` is ast-grep's: a template (``await asyncio.sleep($$$ARGS)``) filled from
the match's metavariables, or a mapping with ``template`` (and ast-grep's
``expandStart``/``expandEnd``, which the export keeps). Three keys are this pack's own:
``only_if``, an ast-grep rule the match must also satisfy for the fix to be safe (else the
finding is reported as not fixable); ``target``, a rule that picks the node inside the
match to replace (``app=...`` inside ``AsyncClient(...)``); and ``imports``, import
statements the fixed code needs (metavariables allowed), added at the top of the file
when it does not import them yet. A fix whose import would clash with a name the file
already binds to something else is not made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ast_grep_py import SgNode, SgRoot

from flake8_fastapi_prod.engine import Finding, check_source
from flake8_fastapi_prod.imports import Binding, Imports, read_source_imports
from flake8_fastapi_prod.model import Rule
from flake8_fastapi_prod.prefilter import SourceFacts, holds
from flake8_fastapi_prod.shorthand import expand

_METAVARIABLE = re.compile(r"\$\$\$([A-Z_][A-Z0-9_]*)|\$([A-Z_][A-Z0-9_]*)")
_MULTIPLE = re.compile(r"\$\$\$([A-Z_][A-Z0-9_]*)")
MAX_PASSES = 10  # fixes of nested matches are applied over several passes


@dataclass
class FixResult:
    source: str
    fixed: list[Finding] = field(default_factory=list)
    unfixable: list[Finding] = field(default_factory=list)  # what is left, with or without a declared fix


def fix_source(source: str, rules: list[Rule], path: str | None = None) -> FixResult:
    """Apply every safe fix until nothing changes; report what remains (of the file at ``path``:
    see :func:`check_source <flake8_fastapi_prod.engine.check_source>`)."""
    result = FixResult(source)
    fixable = [rule for rule in rules if rule.fix]
    for _ in range(MAX_PASSES):
        changed = False
        for rule in fixable:  # one rule at a time: each sees the file the previous one left
            new_source, fixed = _fix_rule(result.source, rule)
            if new_source != result.source:
                result.source, changed = new_source, True
                result.fixed += fixed
        if not changed:
            break
    result.unfixable = check_source(result.source, rules, path=path)
    return result


def _fix_rule(source: str, rule: Rule) -> tuple[str, list[Finding]]:
    """``source`` with ``rule``'s fixes applied, or unchanged if they cannot be made safely."""
    facts = SourceFacts(source)
    if not holds(rule.requirement, facts):
        return source, []
    imports = _imports_of(source)
    if imports is None:
        return source, []  # Python cannot parse the file: no fix is certain
    facts.know_imports(imports)
    if not holds(rule.requirement, facts):
        return source, []
    root = _tree_of(source)
    spell = imports.located(root)
    spec = _fix_spec(rule.fix)
    edits: list[tuple[int, int, str]] = []
    needed: list[str] = []
    fixed: list[Finding] = []
    try:
        nodes = root.find_all(rule.config_for(spell))
    except BaseException as error:  # a rule ast-grep cannot use: the lint run reports it as FAP001
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        return source, []
    for node in nodes:
        if spec["only_if"] and not node.matches(**expand(spec["only_if"], spell)):
            continue
        replaced = node.find(**expand(spec["target"], spell)) if spec["target"] else node
        if replaced is None:
            continue
        start, end = _expanded_range(replaced, spec)
        if any(start < e_end and e_start < end for e_start, e_end, _ in edits):
            continue  # overlaps an edit of this pass; the next pass sees the result
        edits.append((start, end, _fill(spec["template"], replaced, node, source)))
        needed += [_fill(statement, replaced, node, source) for statement in spec["imports"]]
        pos = node.range().start
        fixed.append(Finding(pos.line + 1, pos.column, rule.code, rule.message))
    if not edits:
        return source, []
    new_source = source
    for start, end, text in sorted(edits, reverse=True):
        new_source = new_source[:start] + text + new_source[end:]
    after = _imports_of(new_source)
    if after is None or not _imports_available(needed, after):
        # The fixed code does not parse, or a name the fix needs is bound to something else:
        # leave it to a person.
        return source, []
    missing = [statement for statement in dict.fromkeys(needed) if not _already_imported(statement, after)]
    return (_add_imports(new_source, missing) if missing else new_source), fixed


# Each fixable rule reads the file as the previous one left it: most leave it unchanged, so
# its imports and tree are read once per version of the text, not once per rule.
_imports_of = lru_cache(maxsize=4)(read_source_imports)


@lru_cache(maxsize=4)
def _tree_of(source: str) -> SgNode:
    return SgRoot(source, "python").root()


def _fix_spec(fix: Any) -> dict[str, Any]:
    if isinstance(fix, str):
        fix = {"template": fix}
    return {"template": fix["template"], "only_if": fix.get("only_if"), "target": fix.get("target"),
            "imports": list(fix.get("imports") or []),
            "expandStart": fix.get("expandStart"), "expandEnd": fix.get("expandEnd")}


def _expanded_range(node: SgNode, spec: dict[str, Any]) -> tuple[int, int]:
    """The node's range, grown over neighbouring siblings as ast-grep's expandStart/expandEnd do."""
    start, end = node.range().start.index, node.range().end.index
    sibling = node.prev()
    while spec["expandStart"] and sibling is not None and sibling.matches(**spec["expandStart"]):
        start, sibling = sibling.range().start.index, sibling.prev()
    sibling = node.next()
    while spec["expandEnd"] and sibling is not None and sibling.matches(**spec["expandEnd"]):
        end, sibling = sibling.range().end.index, sibling.next()
    return start, end


def _fill(template: str, node: SgNode, outer: SgNode, source: str) -> str:
    """The template with its metavariables filled from ``node`` (or the whole match ``outer``).

    An empty ``$$$ARGS`` takes a neighbouring ", " with it, so that
    ``f($$$ARGS, exclude_unset=True)`` gives ``f(exclude_unset=True)``.
    """
    def multiple(name: str) -> str:
        nodes = node.get_multiple_matches(name) or outer.get_multiple_matches(name)
        return source[nodes[0].range().start.index:nodes[-1].range().end.index] if nodes else ""

    for name in _MULTIPLE.findall(template):
        if not multiple(name):
            template = template.replace(f"$$${name}, ", "").replace(f", $$${name}", "")

    def value(match: re.Match) -> str:
        if match.group(1):
            return multiple(match.group(1))
        captured = node.get_match(match.group(2)) or outer.get_match(match.group(2))
        return captured.text() if captured is not None else match.group(0)

    return _METAVARIABLE.sub(value, template)


def _bindings_of(statement: str) -> list[Binding]:
    imports = read_source_imports(statement)  # a statement that does not parse binds nothing
    return imports.bindings if imports is not None else []


def _already_imported(statement: str, imports: Imports) -> bool:
    """Whether the module already imports what ``statement`` would (imports in functions do not count)."""
    return all(binding in imports.bindings for binding in _bindings_of(statement))


def _imports_available(statements: list[str], imports: Imports) -> bool:
    """False when a needed name is already bound to something else (the fix would break it)."""
    bound = {local: qualified for local, qualified, _ in imports.bindings}
    return all(bound.get(b.local, b.qualified) == b.qualified for s in statements for b in _bindings_of(s))


def _add_imports(source: str, statements: list[str]) -> str:
    """Insert import statements after the module's last top-level import (or its docstring)."""
    root = SgRoot(source, "python").root()
    anchor = None
    for child in root.children():
        kind = child.kind()
        if kind in ("import_statement", "import_from_statement", "future_import_statement"):
            anchor = child
        elif anchor is None and kind == "expression_statement" and child.child(0) and child.child(0).kind() == "string":
            anchor = child  # the module docstring
        elif kind != "comment":
            break
    text = "".join(f"{statement}\n" for statement in statements)
    if anchor is None:
        return text + source
    end = anchor.range().end.index
    line_end = source.find("\n", end)
    cut = len(source) if line_end == -1 else line_end + 1
    prefix = source[:cut] if line_end != -1 else source[:cut] + "\n"
    return prefix + text + source[cut:]
