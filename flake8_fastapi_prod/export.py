"""Write the effective rulebook as a standard ast-grep project.

``ast-grep scan`` (terminal, language server, SARIF/GitHub output) then gives the same
findings as the flake8 plugin. ast-grep has no ``imported:``, so each one becomes the
relational form: the name as written after each kind of import statement that can bind it
(``import time``, ``import time as $A``, ``from time import sleep``, ``from time import
sleep as $A``, ``from time import *``), the import searched for anywhere in the module, as
the engine does. Correct, but it searches the module for every candidate node: the engine
instead reads the imports once per file and writes the concrete patterns.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any, Iterator

import yaml

from flake8_fastapi_prod.imports import BUILTINS
from flake8_fastapi_prod.model import Rule, Rulebook
from flake8_fastapi_prod.shorthand import replace_imported

RULE_DIR, TEST_DIR = "rules", "rule-tests"


def export_project(rulebook: Rulebook, directory: Path) -> list[Path]:
    """Write sgconfig.yml, one rule file and one rule-test file per rule; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = [_write(directory / "sgconfig.yml", {"ruleDirs": [RULE_DIR], "testConfigs": [{"testDir": TEST_DIR}]})]
    for rule in rulebook.rules:
        stem = f"{rule.code}-{rule.name}"
        written.append(_write(directory / RULE_DIR / f"{stem}.yml", ast_grep_rule(rule)))
        tests = {"id": rule.code, "valid": rule.examples.valid, "invalid": rule.examples.invalid}
        written.append(_write(directory / TEST_DIR / f"{stem}-test.yml", tests))
    return written


def ast_grep_rule(rule: Rule) -> dict[str, Any]:
    """One rule in ast-grep's rule-file format, ``imported:`` expanded to relational rules."""
    fresh = (f"FAPIMPORT{n}" for n in itertools.count(1))
    relational = lambda names: {"any": [b for name in names for b in import_branches(name, fresh)]}  # noqa: E731
    exported: dict[str, Any] = {
        "id": rule.code,
        "language": "python",
        "severity": "warning" if rule.enabled else "off",
        "message": rule.message,
        "note": rule.note.strip(),
        "rule": replace_imported(rule.body, relational),
    }
    if rule.utils:
        exported["utils"] = replace_imported(rule.utils, relational)
    if rule.constraints:
        exported["constraints"] = replace_imported(rule.constraints, relational)
    if isinstance(rule.fix, str) or (isinstance(rule.fix, dict) and not {"only_if", "target", "imports"} & set(rule.fix)):
        exported["fix"] = rule.fix  # fixes that need a guard or an import stay with `flake8-fastapi-prod fix`
    exported["metadata"] = {"name": rule.name, "family": rule.family}
    return exported


def import_branches(qualified: str, fresh: Iterator[str]) -> list[dict[str, Any]]:
    """Every way a module can refer to ``qualified``, each tied to the import that allows it."""
    parts = qualified.split(".")
    if qualified.startswith(BUILTINS) and len(parts) == 2:
        return [_builtin(parts[1])]
    branches = [_bound(".".join(parts), _import_statement_binding(parts[0]))]  # import a[.b...]
    for i in range(1, len(parts) + 1):
        module, rest = ".".join(parts[:i]), parts[i:]
        alias = next(fresh)  # import a.b as X  ->  X.rest
        branches.append(_bound(_join(f"${alias}", rest), _aliased_import(module, alias)))
        if i < len(parts):
            name, tail = parts[i], parts[i + 1:]
            branches.append(_bound(_join(name, tail), _from_import(module, name)))  # from a import b
            alias = next(fresh)
            branches.append(_bound(_join(f"${alias}", tail), _from_import_as(module, name, alias)))
    module, last = ".".join(parts[:-1]), parts[-1]
    if module:
        branches.append(_bound(last, _from_import_star(module)))
    return branches


def _join(head: str, rest: list[str]) -> str:
    return ".".join([head, *rest])


# Where an import binds, as the engine reads it: at module level (class bodies and
# module-level if/try/with included) for the whole file; inside a function for that
# function. So the search for an import descends through compound statements but not into
# functions, and stops at every other node (which it still tests): it visits statements,
# not expressions.
_COMPOUND = [
    "module", "block", "class_definition", "decorated_definition", "if_statement", "elif_clause",
    "else_clause", "try_statement", "except_clause", "finally_clause", "with_statement", "for_statement",
    "while_statement", "match_statement", "case_clause",
]
_STATEMENTS_ONLY = {"not": {"any": [{"kind": kind} for kind in _COMPOUND]}}


def _in_scope_of(import_rule: dict[str, Any]) -> dict[str, Any]:
    search = {"stopBy": _STATEMENTS_ONLY, **import_rule}
    return {"any": [
        {"inside": {"kind": "module", "stopBy": "end", "has": search}},
        {"inside": {"kind": "function_definition", "stopBy": "end", "has": search}},
    ]}


def _bound(expression: str, import_rule: dict[str, Any]) -> dict[str, Any]:
    # A bare metavariable or name must be an identifier; `all` makes ast-grep bind the
    # metavariable from the expression before it compares it with the import's alias.
    shape: dict[str, Any] = {"pattern": expression}
    if "." not in expression:
        shape["kind"] = "identifier"
    return {"all": [shape, _in_scope_of(import_rule)]}


def _exact(text: str) -> str:
    return "^" + re.escape(text) + "$"


def _import_statement_binding(first: str) -> dict[str, Any]:
    return {"kind": "import_statement", "has": {"kind": "dotted_name", "regex": "^" + re.escape(first) + r"(\.|$)"}}


def _aliased_import(module: str, alias: str) -> dict[str, Any]:
    return {"kind": "import_statement", "has": {"kind": "aliased_import", "all": [
        {"has": {"field": "name", "regex": _exact(module)}}, {"has": {"field": "alias", "pattern": f"${alias}"}}]}}


# ast-grep's `field` sees only the first child of a field, and `from m import a, b` has
# several `name` children: an imported name is a dotted_name that is not the first child
# (the module is).
def _imported_name(name: str) -> dict[str, Any]:
    return {"kind": "dotted_name", "regex": _exact(name), "not": {"nthChild": 1}}


def _from_import(module: str, name: str) -> dict[str, Any]:
    return {"kind": "import_from_statement", "all": [
        {"has": {"field": "module_name", "regex": _exact(module)}}, {"has": _imported_name(name)}]}


def _from_import_as(module: str, name: str, alias: str) -> dict[str, Any]:
    return {"kind": "import_from_statement", "all": [
        {"has": {"field": "module_name", "regex": _exact(module)}},
        {"has": {"kind": "aliased_import", "all": [
            {"has": {"field": "name", "regex": _exact(name)}}, {"has": {"field": "alias", "pattern": f"${alias}"}}]}}]}


def _from_import_star(module: str) -> dict[str, Any]:
    return {"kind": "import_from_statement", "all": [
        {"has": {"field": "module_name", "regex": _exact(module)}}, {"has": {"kind": "wildcard_import"}}]}


def _builtin(name: str) -> dict[str, Any]:
    rebinding = {"any": [
        {"kind": "import_from_statement", "has": _imported_name(name)},
        {"kind": "aliased_import", "has": {"field": "alias", "regex": _exact(name)}},
        {"kind": "import_statement", "has": {"kind": "dotted_name", "regex": "^" + re.escape(name) + r"(\.|$)"}},
    ]}
    # as in the engine, an import of the name anywhere in the file shadows the builtin
    return {"kind": "identifier", "pattern": name,
            "not": {"inside": {"kind": "module", "stopBy": "end", "has": {"stopBy": "end", **rebinding}}}}


class _PlainDumper(yaml.SafeDumper):
    """Writes a shared sub-rule out each time: ast-grep's YAML reader limits aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(data, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(text, encoding="utf-8")
    return path
