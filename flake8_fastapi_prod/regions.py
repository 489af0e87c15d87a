"""What tree-sitter parses of a file: the top-level statements some rule can match in or needs.

Each rule's :mod:`reach <flake8_fastapi_prod.reach>` says what the top-level statement
holding a match needs, and which other statements a module-wide search may find. A file's
top-level statements are taken one by one, each in a run of lines (Python's tree gives
their lines; the comments and decorators before a statement are in its run, and statements
that share a line are one run). A rule that no run can hold a match of is not run at all; a
run that no remaining rule needs becomes empty lines, so line and column numbers stay as
they were. One statement a run, a module-wide search that needs the file's imports keeps
the import statements and not what happens to follow them.

In a large file, the rules that need a small part of what is kept get a second text of
their own, parsed apart: a rule's search walks the whole tree it is given, and in a file
made of unrelated parts one rule's few statements would otherwise cost it every statement
the others need.

A run is tested by substring searches, cheapest first, and a regular expression only where
a word was found: most runs lack a word their rules need. A word asked of many runs is
looked for once in the text of all of them, so the cost is in the word's occurrences, not
in the number of runs.
"""

from __future__ import annotations

import ast
import weakref
from bisect import bisect_right
from itertools import accumulate
from typing import AbstractSet, Callable, Iterable, NamedTuple, Optional

from flake8_fastapi_prod.arguments import WORD_CHARS
from flake8_fastapi_prod.prefilter import (
    Requirement, Texts, Words, arguments_hold, calls, method_call_of, parameters_hold, statements_hold,
)

# A rule's reach (derived by flake8_fastapi_prod.reach): the requirement on the top-level
# statement holding a match, the requirements of the statements to keep for module-wide
# searches, whether the module itself may be a match; None when the rule sees the whole file.
Reach = Optional[tuple[Requirement, tuple[Requirement, ...], bool]]
# `(IMPORT_TIME, requirement)`: the requirement holds outside the bodies of the file's functions
# (a rule whose matches run at import time, reach.at_import_time_only).
IMPORT_TIME = "import_time"
# `(SOMEWHERE, requirement)`: some run of the file meets the requirement (a module-wide search
# finds what it looks for in some top-level statement).
SOMEWHERE = "somewhere"

_NARROW_MIN_LINES = 400  # below this many kept lines a second parse costs more than it saves
_NARROW = 8  # a rule is narrow if it needs at most this share (1/8) of the kept lines
_NARROW_SHARE = 4  # and the narrow rules' text is parsed apart if at most 1/4 of the kept lines
_FEW_RUNS = 8  # a word asked of fewer than 1/8 of the runs is looked for in those runs only
_MAX_KEPT_SHARE = 0.75  # keeping more than this of a file saves too little to be worth the work
_DIGITS = frozenset("0123456789")


class Regions(NamedTuple):
    text: Optional[str]  # what tree-sitter is to parse; None: the whole source
    reached: list[bool]  # per reach: whether some statement (or the module) can hold a match
    # A second, much smaller text for the rules whose matches are all in a few statements
    # of a large file, and which reaches it serves: each of those rules then walks its own
    # few statements, not every statement some rule needs.
    narrow: Optional[tuple[str, list[bool]]] = None


def regions(
    source: str, tree: ast.AST, reaches: list[Reach], words: Words, texts: Optional[Texts],
    spellable: Optional[Callable[[tuple[str, ...]], list[str]]] = None,
) -> Regions:
    """Which of ``reaches`` can match in ``source``, and the text that holds their matches:
    ``source`` with the lines of the top-level statements none of them needs made empty.

    ``tree`` is Python's syntax tree of ``source``, ``words`` its words (a word the file
    lacks is in none of its statements), ``texts`` the file's spellings of imported names
    (None when no rule needs imports) and ``spellable`` which of some names it spells
    (:meth:`Imports.spellable <flake8_fastapi_prod.imports.Imports.spellable>`)."""
    if "\r" in source or all(one is None for one in reaches):  # lines as Python counts them: `\n` only
        return Regions(None, [True] * len(reaches))
    lines = source.split("\n")
    runs = _runs(getattr(tree, "body", []), len(lines))
    line_offsets = list(accumulate(map(len, lines), initial=0))  # line i starts at line_offsets[i] + i
    texts_of_runs = [source[line_offsets[start] + start:line_offsets[end] + end] for start, end in runs]
    tests = _RunTests(texts_of_runs, words, texts, spellable, lambda: _import_time_texts(tree, lines, runs))
    every = frozenset(range(len(runs)))
    owns = [None if one is None else _needed_runs(tests, one, every) for one in reaches]  # None: every run
    reached = [own is None or bool(own) for own in owns]
    sizes = [end - start for start, end in runs]
    kept = _union(owns, every)
    kept_lines = sum(sizes[i] for i in kept)
    narrow = None
    if kept_lines >= _NARROW_MIN_LINES:
        split = _narrow(owns, sizes, kept_lines, every)
        if split is not None:
            narrow_runs, narrows, kept = split
            narrow = (_blank(lines, runs, narrow_runs), narrows)
    blanked = len(lines) - sum(sizes[i] for i in kept)
    if blanked < len(lines) * (1 - _MAX_KEPT_SHARE):
        return Regions(None, reached, narrow)
    return Regions(_blank(lines, runs, kept), reached, narrow)


def _needed_runs(
    tests: _RunTests, reach: tuple[Requirement, tuple[Requirement, ...], bool], every: frozenset[int],
) -> frozenset[int]:
    """The runs a rule with this reach needs: those that can hold a match, and those its
    module-wide searches may find; none if no run can hold a match."""
    statement, contexts, matches_module = reach
    own = set(tests.holding(statement, every))
    if matches_module:
        own.add(0)  # the module starts at the file's first token: its match stays where it was
    if own:
        for context in contexts:
            own |= tests.holding(context, every - own)
    return frozenset(own)


def _narrow(
    owns: list[Optional[frozenset[int]]], sizes: list[int], kept_lines: int, every: frozenset[int],
) -> Optional[tuple[frozenset[int], list[bool], frozenset[int]]]:
    """The runs that the rules needing few of the ``kept_lines`` need, which rules those are,
    and the runs the other rules need; None if no such rules are worth a parse apart."""
    narrows = [own is not None and bool(own) and sum(sizes[i] for i in own) * _NARROW <= kept_lines for own in owns]
    narrow_runs = _union([own for own, is_narrow in zip(owns, narrows) if is_narrow], every)
    if not any(narrows) or sum(sizes[i] for i in narrow_runs) * _NARROW_SHARE > kept_lines:
        return None
    return narrow_runs, narrows, _union([own for own, is_narrow in zip(owns, narrows) if not is_narrow], every)


def _union(owns: list[Optional[frozenset[int]]], every: frozenset[int]) -> frozenset[int]:
    kept: set[int] = set()
    for own in owns:
        if own is None:
            return every
        kept |= own
    return frozenset(kept)


def _blank(lines: list[str], runs: list[tuple[int, int]], kept: AbstractSet[int]) -> str:
    """The source with the lines of the runs not in ``kept`` made empty."""
    shown = list(lines)
    for index, (start, end) in enumerate(runs):
        if index not in kept:
            shown[start:end] = [""] * (end - start)
    return "\n".join(shown)


def _runs(statements: list[ast.stmt], line_count: int) -> list[tuple[int, int]]:
    """The file's lines in runs of whole top-level statements, as 0-based line ranges (end
    exclusive), one statement a run. A run ends where its statement ends: the comments and
    decorators before a statement are in its run, and statements that share a line
    (`a = 1; b = 2`) one run. The runs cover every line."""
    runs: list[tuple[int, int]] = []
    start = end = 0
    for statement in statements:
        if statement.lineno - 1 >= end > start:
            runs.append((start, end))
            start = end
        end = max(end, statement.end_lineno or statement.lineno)
    if line_count > start:
        runs.append((start, max(end, line_count)))
    return runs


def _import_time_texts(tree: ast.AST, lines: list[str], runs: list[tuple[int, int]]) -> list[str]:
    """The text of each run with its functions (at the top level and in top-level classes)
    made empty from their ``def`` on: what a rule that stops at a function definition sees
    of the module. Their decorators stay: they are outside the function definition."""
    kept = list(lines)
    for statement in getattr(tree, "body", []):
        members = statement.body if isinstance(statement, ast.ClassDef) else [statement]
        for member in members:
            if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start, end = member.lineno - 1, member.end_lineno or member.lineno  # `def` is below its decorators
                kept[start:end] = [""] * (end - start)
    return ["\n".join(kept[start:end]) for start, end in runs]


class _RunTests:
    """Requirements tested on the runs of one file: each part of a requirement only on the
    runs where the parts before it held, the rarest parts first."""

    def __init__(
        self, runs: list[str], words: Words, texts: Optional[Texts],
        spellable: Optional[Callable[[tuple[str, ...]], list[str]]] = None,
        import_time_runs: Optional[Callable[[], list[str]]] = None,
    ) -> None:
        self.runs = runs  # the text of each run
        self.words = words  # the file's
        self.texts = texts
        self.spellable = spellable
        self._import_time_runs = import_time_runs  # made when a rule first needs them
        self._import_time: Optional[_RunTests] = None
        # The tests on every line of the file (see IMPORT_TIME); None: these. Never a strong
        # reference back: a cycle would keep these tests, the file's imports and Python's
        # tree of the file alive until the collector's next pass (4,000 objects a pass over
        # docs_src), and start more of its passes.
        self._whole_file: Optional[_RunTests] = None
        self._spellings: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._whole: dict[Requirement, frozenset[int]] = {}  # on every run: contexts repeat across rules
        self._with_word: dict[tuple[str, bool], frozenset[int]] = {}  # the runs holding a text, once asked of all
        self._joined: Optional[tuple[str, list[int]]] = None  # the runs' text in one, and where each starts

    def holding(self, need: Requirement, where: frozenset[int]) -> frozenset[int]:
        """The runs among ``where`` on which ``need`` holds."""
        if len(where) == len(self.runs):
            found = self._whole.get(need)
            if found is None:
                found = self._whole[need] = self._holding(need, where)
            return found
        return self._holding(need, where) if where else where

    def _holding(self, need: Requirement, where: frozenset[int]) -> frozenset[int]:
        if need is True or need is False:
            return where if need else frozenset()
        kind, value = need
        runs = self.runs
        if kind == IMPORT_TIME:
            if self._import_time_runs is None:
                return self._holding(value, where)
            if self._import_time is None:
                self._import_time = _RunTests(self._import_time_runs(), self.words, self.texts, self.spellable)
                self._import_time._whole_file = weakref.proxy(self)
            return self._import_time.holding(value, where)
        if kind == SOMEWHERE:  # a module-wide search looks at every line, functions included
            whole = self._whole_file or self
            return where if whole.holding(value, frozenset(range(len(whole.runs)))) else frozenset()
        if kind == "all":
            for part in sorted(value, key=_rarity):
                where = self.holding(part, where)
                if not where:
                    break
            return where
        if kind == "any":
            found: frozenset[int] = frozenset()
            for part in value:
                found |= self.holding(part, where - found)
            return found
        if kind == "word":
            value = (value,)
            kind = "all_words"
        if kind == "any_word":
            present = self.words.intersection(value)  # most of a rule's alternatives are not in the file
            return self._with_any_word(present, where)
        if kind == "all_words":
            if not self.words.issuperset(value):
                return frozenset()
            for word in value:
                where = self._with_any_word((word,), where)
            return where
        if kind == "text":
            return self._with_any_word((value,), where, whole=False)
        if kind == "method":  # `.name(`: the name is a whole word of the run
            present = self.words.intersection(value)
            if not present:
                return frozenset()
            method = method_call_of(value)
            return frozenset(i for i in self._with_any_word(present, where) if method.search(runs[i]))
        if kind == "args":  # tested last, on the few runs where everything else holds
            spelled = self._spelled if self.texts is not None else None
            return frozenset(i for i in where if arguments_hold(runs[i], value, spelled))
        if kind == "params":  # the same, on the runs' function definitions
            return frozenset(i for i in where if parameters_hold(runs[i], *value))
        if kind == "stmt":  # the same, on the runs' statements that start with the keyword
            spelled = self._spelled if self.texts is not None else None
            return frozenset(i for i in where if statements_hold(runs[i], *value, spelled))
        if self.texts is None:  # `import` or `call` with no imports read: anything may be imported
            return where
        spellings = self._spelled(value)
        # Any use of an imported name, its call included, writes the last segment of a spelling as a word.
        where = self._with_any_word({spelling.rpartition(".")[2] for spelling in spellings}, where)
        if kind == "call" and where:  # a spelling followed by `(`
            return frozenset(i for i in where if calls(runs[i], *spellings))
        return where

    def _with_any_word(self, words: Iterable[str], where: frozenset[int], whole: bool = True) -> frozenset[int]:
        """The runs among ``where`` that hold one of ``words`` (as a whole word if ``whole``).

        Asked of many runs, a word is looked for once in all the runs' text, skipping from
        a run that holds it to the next run, and the answer kept for the other rules: a
        large file's runs are asked about the same words again and again. Asked of a few
        runs, only those are searched."""
        if not where:
            return where
        found: set[int] = set()
        for word in words:
            holding = self._with_word.get((word, whole))
            if holding is None and len(where) * _FEW_RUNS < len(self.runs):
                runs = self.runs
                if whole:
                    found.update(i for i in where - found if _has_word(runs[i], word))
                else:
                    found.update(i for i in where - found if word in runs[i])
                continue
            if holding is None:
                holding = self._with_word[word, whole] = self._scan(word, whole)
            found.update(holding)
        return where.intersection(found)

    def _scan(self, word: str, whole: bool) -> frozenset[int]:
        """The runs that hold ``word`` (as a whole word if ``whole``)."""
        if self._joined is None:  # a line break between runs: no word spans two
            self._joined = "\n".join(self.runs), list(accumulate((len(run) + 1 for run in self.runs), initial=0))
        text, starts = self._joined
        holding = []
        at = text.find(word)
        while at >= 0:
            if not whole or _whole_word_at(text, at, at + len(word)):
                run = bisect_right(starts, at) - 1
                holding.append(run)
                at = text.find(word, starts[run + 1])  # the next run: this one is known to hold it
            else:
                at = text.find(word, at + 1)
        return frozenset(holding)

    def _spelled(self, names: tuple[str, ...]) -> tuple[str, ...]:
        found = self._spellings.get(names)
        if found is None:
            assert self.texts is not None
            spelled = self.spellable(names) if self.spellable is not None else names  # most are not
            found = self._spellings[names] = tuple(dict.fromkeys(t for name in spelled for t in self.texts(name)))
        return found


# Which parts of an `all` to test first: names the file imports are rare in its statements,
# keywords and `@` are everywhere.
_RARITY = {"call": 0, "method": 0, "import": 1, "all": 2, "any": 2, IMPORT_TIME: 2, SOMEWHERE: 2, "any_word": 3, "all_words": 3, "word": 3, "text": 4, "args": 5, "params": 5, "stmt": 5}


def _rarity(part: Requirement) -> int:
    return _RARITY[part[0]] if isinstance(part, tuple) else 5


def _has_word(text: str, word: str) -> bool:
    """Whether ``word`` occurs in ``text`` as a whole word."""
    at = text.find(word)
    while at >= 0:
        if _whole_word_at(text, at, at + len(word)):
            return True
        at = text.find(word, at + 1)
    return False


def _whole_word_at(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a whole word, as the prefilter's words are (after
    digits, too: `1if` holds `if`)."""
    if end < len(text) and text[end] in WORD_CHARS:
        return False
    while start and text[start - 1] in _DIGITS:
        start -= 1
    return not start or text[start - 1] not in WORD_CHARS
