"""What each imported name of a file stands for, read once per file from Python's syntax tree.

``import requests as rq`` binds ``rq`` to ``requests``; ``from time import sleep as nap``
binds ``nap`` to ``time.sleep``. As in Python, an import at module level (class bodies and
module-level ``if``/``try`` included) binds its names in the whole file, and an import inside
a function binds them in that function only (nested functions included).

The imports are read from the tree of Python's own ``ast`` module, which flake8 has already
built when it runs the plugin, so a file whose rules all need imports it lacks is never
parsed by tree-sitter. :meth:`Imports.texts` gives the prefilter the ways a file can write a
qualified name; :meth:`Imports.located` gives the same spellings with the tree-sitter range of
the function a spelling is confined to, which the engine substitutes for the rulebook's
``imported:`` shorthand.
"""

from __future__ import annotations

import ast
from bisect import bisect_left
from typing import TYPE_CHECKING, Callable, Iterator, NamedTuple, Optional

if TYPE_CHECKING:
    from ast_grep_py import SgNode

BUILTINS = "builtins."
_BUILTINS_MODULE = BUILTINS.rstrip(".")

# A function's range as ast-grep counts it: (start line, start column, end line, end column), 0-based.
Range = tuple[int, int, int, int]
Scope = Optional[Range]  # where a spelling means the name: None for the whole file


class FunctionStart(NamedTuple):
    """The function an import is written in: where its ``def`` (or ``async``) starts, 0-based."""

    line: int
    column: int
    name: str


class Binding(NamedTuple):
    local: str
    qualified: str
    function: Optional[FunctionStart] = None  # None for module level


class Spelling(NamedTuple):
    text: str  # an expression: `nap`, `t.sleep`
    scope: Scope = None


Spell = Callable[[str], tuple[Spelling, ...]]

# Statements whose bodies hold statements in the same scope (a class body's imports belong to
# the enclosing function, or the module). Functions open a scope of their own.
_FUNCTIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef})
_IMPORTS = (ast.Import, ast.ImportFrom)
_BODIES = ("body", "orelse", "handlers", "finalbody", "cases")
_SIMPLE = frozenset({
    ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Pass, ast.Raise, ast.Delete,
    ast.Global, ast.Nonlocal, ast.Assert, ast.Break, ast.Continue,
})


class Imports:
    """The import bindings of one file."""

    # A plain class: a dataclass costs ~1 ms to create each time flake8 starts.
    def __init__(self) -> None:
        self.bindings: list[Binding] = []
        self.star_modules: list[str] = []  # modules imported with `*` at module level
        self._texts: dict[str, tuple[str, ...]] = {}
        self._by_target: Optional[dict[str, list[tuple[int, Binding]]]] = None
        self._locals: set[str] = set()  # every name an import binds
        self._roots: set[str] = set()  # the first segment of every name imported

    def texts(self, qualified: str) -> tuple[str, ...]:
        """Every expression by which this file refers to ``qualified`` somewhere; empty if it cannot."""
        cached = self._texts.get(qualified)
        if cached is None:
            cached = self._texts[qualified] = tuple(dict.fromkeys(text for text, _ in self._spell(qualified)))
        return cached

    def located(self, root: SgNode) -> Spell:
        """The spellings of a qualified name in the tree-sitter tree ``root`` of the same source,
        each with the range of the function it is confined to. A spelling whose function cannot
        be found in ``root`` (the two parsers disagree) is left out: it then matches nothing."""
        ranges: dict[FunctionStart, Scope] = {}
        spelled: dict[str, tuple[Spelling, ...]] = {}

        def spell(qualified: str) -> tuple[Spelling, ...]:
            cached = spelled.get(qualified)
            if cached is None:
                found = []
                for text, function in self._spell(qualified):
                    if function is None:
                        found.append(Spelling(text))
                        continue
                    if function not in ranges:
                        ranges[function] = _function_range(root, function)
                    if ranges[function] is not None:
                        found.append(Spelling(text, ranges[function]))
                cached = spelled[qualified] = tuple(dict.fromkeys(found))
            return cached

        return spell

    def spellable(self, names: tuple[str, ...]) -> list[str]:
        """The names among ``names`` that this file may spell (the others have no
        :meth:`texts`): a name is spelled through the binding of one of its prefixes, a star
        import of its module, or as a builtin. One set intersection instead of a lookup of
        every prefix of every name: a rule lists up to ~80 names, a file binds a few."""
        by_target = self._index()
        by_prefix = _names_by_prefix(names)
        found = [name for prefix in by_prefix.keys() & by_target.keys() for name in by_prefix[prefix]]
        if self.star_modules or _BUILTINS_MODULE in by_prefix:
            found += [
                name for name in names
                if name.startswith(BUILTINS) or name.rpartition(".")[0] in self.star_modules
            ]
        return found

    def _index(self) -> dict[str, list[tuple[int, Binding]]]:
        if self._by_target is None:  # rules ask for dozens of names: look bindings up, do not scan them
            self._by_target = {}
            for index, binding in enumerate(self.bindings):
                self._by_target.setdefault(binding.qualified, []).append((index, binding))
            self._locals = {binding.local for binding in self.bindings}
            self._roots = {binding.qualified.partition(".")[0] for binding in self.bindings}
        return self._by_target

    def _spell(self, qualified: str) -> list[tuple[str, Optional[FunctionStart]]]:
        by_target = self._index()
        if qualified.partition(".")[0] not in self._roots and not self.star_modules and not qualified.startswith(BUILTINS):
            return []  # most names a rulebook asks for are from libraries the file never imports
        found: list[tuple[int, str, Optional[FunctionStart]]] = []
        end = 0
        while end != len(qualified):  # `a`, `a.b`, `a.b.c`: each binding of a prefix spells the name
            end = qualified.find(".", end + 1)
            end = len(qualified) if end == -1 else end
            for index, (local, target, function) in by_target.get(qualified[:end], ()):
                found.append((index, local + qualified[end:], function))
        found.sort(key=lambda item: item[0])  # in the order the file binds them
        spelled = [(text, function) for _, text, function in found]
        module, _, name = qualified.rpartition(".")
        if module in self.star_modules:
            spelled.append((name, None))
        if qualified.startswith(BUILTINS):
            # A builtin is available under its bare name unless an import rebinds that name.
            bare = qualified[len(BUILTINS):]
            if "." not in bare and bare not in self._locals:
                spelled.append((bare, None))
        return spelled


_BY_PREFIX: dict[tuple[str, ...], dict[str, tuple[str, ...]]] = {}


def _names_by_prefix(names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Each dotted prefix of ``names`` (`a`, `a.b`, `a.b.c`), with the names it starts;
    ``builtins.`` names under `builtins`. Kept per tuple of names: rules ask with the same ones."""
    index = _BY_PREFIX.get(names)
    if index is None:
        grouped: dict[str, list[str]] = {}
        for name in names:
            end = 0
            while end != len(name):
                end = name.find(".", end + 1)
                end = len(name) if end == -1 else end
                grouped.setdefault(name[:end], []).append(name)
        index = _BY_PREFIX[names] = {prefix: tuple(found) for prefix, found in grouped.items()}
    return index


def read_imports(tree: ast.AST, source: Optional[str] = None) -> Imports:
    """The imports of a module, from its Python syntax tree, in the order the file writes
    them (only statements are visited: expressions hold no imports).

    ``source`` is the tree's text, if known. Every import statement writes `import`, so where
    the text holds it no more often than the module has import statements of its own (most
    modules), nothing else imports, and the bodies of its functions and classes are not read.
    Elsewhere, only the statements whose lines write `import` are read into."""
    imports = Imports()
    body = getattr(tree, "body", [])
    writing: Optional[list[int]] = None  # the lines that write `import`, where they are known
    if source is not None:
        own = [statement for statement in body if type(statement) in _IMPORTS]
        if source.count("import") == len(own):
            body = own
        elif "\r" not in source:  # lines as Python counts them: `\n` only
            writing = _lines_writing(source, "import")
    # A stack of the bodies being read, not recursion: a chain of 1,000 `elif`s is 1,000
    # nested `if`s, which CPython accepts. A body's loop stops at a statement with bodies
    # of its own, and goes on once they are read.
    pending: list[tuple[Iterator[ast.stmt], Optional[ast.AST]]] = [(iter(body), None)]
    while pending:
        statements, function = pending[-1]  # the function whose body this is (None: the module)
        for statement in statements:
            kind = type(statement)
            if kind in _SIMPLE:  # most statements: nothing inside can import
                continue
            if kind is ast.ImportFrom:
                _read_import_from(statement, imports, _start_of(function))
            elif kind is ast.Import:
                _read_import(statement, imports, _start_of(function))
            elif writing is not None and not _writes_within(writing, statement):
                continue  # a function or block whose lines never write `import`
            elif kind in _FUNCTIONS:
                pending.append((iter(statement.body), statement))
                break
            else:  # if/try/with/for/while/match/class: their bodies are in the same scope, read in order
                inner = [body for body in map(statement.__getattribute__, _bodies_of(kind)) if body]
                if inner:
                    pending += [(iter(body), function) for body in reversed(inner)]
                    break
        else:
            pending.pop()
    return imports


def _lines_writing(source: str, word: str) -> list[int]:
    """The lines (1-based, as Python's tree numbers them) where ``word`` occurs in ``source``, in order."""
    lines: list[int] = []
    line, counted = 1, 0  # the line of `counted`, where the count of line breaks got to
    at = source.find(word)
    while at >= 0:
        line += source.count("\n", counted, at)
        counted = at
        if not lines or lines[-1] != line:
            lines.append(line)
        at = source.find(word, at + len(word))
    return lines


def _writes_within(lines: list[int], statement: ast.AST) -> bool:
    """Whether one of ``lines`` (sorted) is among the statement's own (a `case` of a `match`,
    which has no lines of its own, is taken to hold them)."""
    start = getattr(statement, "lineno", None)
    if start is None:
        return True
    at = bisect_left(lines, start)
    return at < len(lines) and lines[at] <= (getattr(statement, "end_lineno", None) or start)


def _start_of(function: Optional[ast.AST]) -> Optional[FunctionStart]:
    """Where ``function``'s ``def`` starts (made only for the few imports inside functions)."""
    if function is None:
        return None
    return FunctionStart(function.lineno - 1, function.col_offset, function.name)  # type: ignore[attr-defined]


_BODIES_OF: dict[type, tuple[str, ...]] = {}


def _bodies_of(kind: type) -> tuple[str, ...]:
    """The fields of a node type that hold statements (an `except` clause's too)."""
    fields = _BODIES_OF.get(kind)
    if fields is None:
        fields = _BODIES_OF[kind] = tuple(name for name in _BODIES if name in getattr(kind, "_fields", ()))
    return fields


def read_source_imports(source: str) -> Optional[Imports]:
    """The imports of ``source``; None if this Python cannot parse it (flake8 then reports
    E999 and never runs the plugin, so only the command line meets such files)."""
    tree = python_tree(source)
    return read_imports(tree, source) if tree is not None else None


def python_tree(source: str) -> Optional[ast.AST]:
    """Python's syntax tree of ``source``, as flake8 builds it; None if this Python cannot parse it."""
    try:  # Python's parser refuses a byte order mark that the text still starts with
        return ast.parse(source[1:] if source.startswith("\ufeff") else source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _read_import(statement: ast.Import, imports: Imports, function: Optional[FunctionStart]) -> None:
    for alias in statement.names:
        if alias.asname is None:  # `import a.b.c` binds `a`
            first = alias.name.split(".", 1)[0]
            imports.bindings.append(Binding(first, first, function))
        else:  # `import a.b as x` binds `x` to `a.b`
            imports.bindings.append(Binding(alias.asname, alias.name, function))


def _read_import_from(statement: ast.ImportFrom, imports: Imports, function: Optional[FunctionStart]) -> None:
    module = statement.module
    if statement.level or not module or module == "__future__":
        return  # relative imports name the project's own modules, never a library
    for alias in statement.names:
        if alias.name == "*":
            if function is None:
                imports.star_modules.append(module)
        else:
            imports.bindings.append(Binding(alias.asname or alias.name, f"{module}.{alias.name}", function))


def _function_range(root: SgNode, function: FunctionStart) -> Scope:
    named = {"rule": {"kind": "function_definition", "has": {"field": "name", "regex": f"^{function.name}$"}}}
    for node in root.find_all(named):
        where = node.range()
        if (where.start.line, where.start.column) == (function.line, function.column):
            return (where.start.line, where.start.column, where.end.line, where.end.column)
    return None
