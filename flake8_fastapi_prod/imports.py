"""What each imported name of a file stands for, read once per file.

``import requests as rq`` binds ``rq`` to ``requests``; ``from time import sleep as nap``
binds ``nap`` to ``time.sleep``. :func:`spellings` turns a qualified name such as
``time.sleep`` into the ways this file can write it (``time.sleep``, ``nap``), which the
engine substitutes for the rulebook's ``imported:`` shorthand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ast_grep_py import SgNode

_IMPORT_KINDS = {"rule": {"any": [{"kind": "import_statement"}, {"kind": "import_from_statement"}]}}
BUILTINS = "builtins."


@dataclass
class Imports:
    """The import bindings of one file, wherever in the file they are written."""

    bindings: list[tuple[str, str]] = field(default_factory=list)  # (local name, qualified name)
    star_modules: list[str] = field(default_factory=list)  # modules imported with `*`
    _cache: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def spellings(self, qualified: str) -> tuple[str, ...]:
        """Every expression by which this file refers to ``qualified``; empty if it cannot."""
        cached = self._cache.get(qualified)
        if cached is None:
            cached = self._cache[qualified] = tuple(self._spell(qualified))
        return cached

    def _spell(self, qualified: str) -> list[str]:
        found: list[str] = []
        for local, target in self.bindings:
            if qualified == target:
                found.append(local)
            elif qualified.startswith(target + "."):
                found.append(local + qualified[len(target):])
        module, _, name = qualified.rpartition(".")
        if module in self.star_modules and name not in found:
            found.append(name)
        if qualified.startswith(BUILTINS):
            # A builtin is available under its bare name unless an import rebinds that name.
            bare = qualified[len(BUILTINS):]
            if "." not in bare and all(local != bare for local, _ in self.bindings):
                found.append(bare)
        return list(dict.fromkeys(found))


def read_imports(root: SgNode) -> Imports:
    imports = Imports()
    for node in root.find_all(_IMPORT_KINDS):
        if node.kind() == "import_statement":
            _read_import(node, imports)
        else:
            _read_import_from(node, imports)
    return imports


def _read_import(node: SgNode, imports: Imports) -> None:
    for child in node.children():
        kind = child.kind()
        if kind == "dotted_name":  # `import a.b.c` binds `a`
            first = child.text().split(".", 1)[0].strip()
            imports.bindings.append((first, first))
        elif kind == "aliased_import":  # `import a.b as x` binds `x` to `a.b`
            name, alias = child.field("name"), child.field("alias")
            if name is not None and alias is not None:
                imports.bindings.append((alias.text(), _dotted(name)))


def _read_import_from(node: SgNode, imports: Imports) -> None:
    module_node = node.field("module_name")
    if module_node is None or module_node.kind() != "dotted_name":
        return  # relative imports name the project's own modules, never a library
    module = _dotted(module_node)
    module_start = module_node.range().start.index
    for child in node.children():
        kind = child.kind()
        if kind == "dotted_name" and child.range().start.index != module_start:
            name = _dotted(child)
            imports.bindings.append((name, f"{module}.{name}"))
        elif kind == "aliased_import":
            name, alias = child.field("name"), child.field("alias")
            if name is not None and alias is not None:
                imports.bindings.append((alias.text(), f"{module}.{_dotted(name)}"))
        elif kind == "wildcard_import":
            imports.star_modules.append(module)


def _dotted(node: SgNode) -> str:
    # `a . b` is legal Python; the qualified name has no spaces.
    return "".join(node.text().split())
