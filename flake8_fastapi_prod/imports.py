"""What each imported name of a file stands for, read once per file.

``import requests as rq`` binds ``rq`` to ``requests``; ``from time import sleep as nap``
binds ``nap`` to ``time.sleep``. As in Python, an import at module level (class bodies and
module-level ``if``/``try`` included) binds its names in the whole file, and an import inside
a function binds them in that function only (nested functions included).
:meth:`Imports.spellings` turns a qualified name such as ``time.sleep`` into the ways this
file can write it, which the engine substitutes for the rulebook's ``imported:`` shorthand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Optional

from ast_grep_py import SgNode

_IMPORT_KINDS = {"rule": {"any": [{"kind": "import_statement"}, {"kind": "import_from_statement"}]}}
BUILTINS = "builtins."

# The function an import is written in: (start line, start column, end line, end column),
# 0-based as ast-grep counts; None for module level.
Scope = Optional[tuple[int, int, int, int]]


class Binding(NamedTuple):
    local: str
    qualified: str
    scope: Scope = None


class Spelling(NamedTuple):
    text: str  # an expression: `nap`, `t.sleep`
    scope: Scope = None  # where it means the name: None for the whole file


@dataclass
class Imports:
    """The import bindings of one file."""

    bindings: list[Binding] = field(default_factory=list)
    star_modules: list[str] = field(default_factory=list)  # modules imported with `*`
    _cache: dict[str, tuple[Spelling, ...]] = field(default_factory=dict)

    def spellings(self, qualified: str) -> tuple[Spelling, ...]:
        """Every expression by which this file refers to ``qualified``; empty if it cannot."""
        cached = self._cache.get(qualified)
        if cached is None:
            cached = self._cache[qualified] = tuple(dict.fromkeys(self._spell(qualified)))
        return cached

    def _spell(self, qualified: str) -> list[Spelling]:
        found: list[Spelling] = []
        for local, target, scope in self.bindings:
            if qualified == target:
                found.append(Spelling(local, scope))
            elif qualified.startswith(target + "."):
                found.append(Spelling(local + qualified[len(target):], scope))
        module, _, name = qualified.rpartition(".")
        if module in self.star_modules:
            found.append(Spelling(name))
        if qualified.startswith(BUILTINS):
            # A builtin is available under its bare name unless an import rebinds that name.
            bare = qualified[len(BUILTINS):]
            if "." not in bare and all(binding.local != bare for binding in self.bindings):
                found.append(Spelling(bare))
        return found


def read_imports(root: SgNode) -> Imports:
    imports = Imports()
    for node in root.find_all(_IMPORT_KINDS):
        scope = _enclosing_function(node)
        if node.kind() == "import_statement":
            _read_import(node, imports, scope)
        else:
            _read_import_from(node, imports, scope)
    return imports


def _enclosing_function(node: SgNode) -> Scope:
    for ancestor in node.ancestors():
        if ancestor.kind() == "function_definition":
            where = ancestor.range()
            return (where.start.line, where.start.column, where.end.line, where.end.column)
    return None


def _read_import(node: SgNode, imports: Imports, scope: Scope) -> None:
    for child in node.children():
        kind = child.kind()
        if kind == "dotted_name":  # `import a.b.c` binds `a`
            first = child.text().split(".", 1)[0].strip()
            imports.bindings.append(Binding(first, first, scope))
        elif kind == "aliased_import":  # `import a.b as x` binds `x` to `a.b`
            name, alias = child.field("name"), child.field("alias")
            if name is not None and alias is not None:
                imports.bindings.append(Binding(alias.text(), _dotted(name), scope))


def _read_import_from(node: SgNode, imports: Imports, scope: Scope) -> None:
    module_node = node.field("module_name")
    if module_node is None or module_node.kind() != "dotted_name":
        return  # relative imports name the project's own modules, never a library
    module = _dotted(module_node)
    module_start = module_node.range().start.index
    for child in node.children():
        kind = child.kind()
        if kind == "dotted_name" and child.range().start.index != module_start:
            name = _dotted(child)
            imports.bindings.append(Binding(name, f"{module}.{name}", scope))
        elif kind == "aliased_import":
            name, alias = child.field("name"), child.field("alias")
            if name is not None and alias is not None:
                imports.bindings.append(Binding(alias.text(), f"{module}.{_dotted(name)}", scope))
        elif kind == "wildcard_import" and scope is None:
            imports.star_modules.append(module)


def _dotted(node: SgNode) -> str:
    # `a . b` is legal Python; the qualified name has no spaces.
    return "".join(node.text().split())
