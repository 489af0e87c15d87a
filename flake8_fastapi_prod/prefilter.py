"""The prefilter at work: checking each rule's :data:`Requirement` against a file.

ast-grep-py compiles a rule again on every call, which costs far more than finding nothing
in a small file. So every rule carries a requirement, derived from the rule itself when the
rulebook is loaded (:mod:`flake8_fastapi_prod.requirements`), and the engine skips the
rules whose requirement fails, which is most rules on most files. A requirement is a
formula over:

- ``("word", w)``: the identifier ``w`` occurs as a whole word (a pattern's identifiers, the
  keyword a node kind implies, a regex that is a word from ``^`` to a word boundary);
- ``("text", s)``: ``s`` occurs anywhere (the leading words of other regexes, ``@``);
- ``("import", names)``: the file imports one of these qualified names and uses it;
- ``("call", names)``: the same, and calls it (a call whose function is ``imported:``);
- ``("method", words)``: a method call of one of ``words``, `x.name(` (a call whose
  function's attribute is one of some names);
- ``("args", (function, needs))``: a call whose function is as ``function`` (a ``method``
  or ``call`` requirement, or an ``any`` of them) says has arguments, the text from its `(`
  to its `)` (:mod:`flake8_fastapi_prod.arguments`), that meet ``needs``: sharper than
  both in one statement, where a large function calls `execute` in one place and adds
  numbers in another. ``needs`` may be ``("code", needs)``: all of it can only be written as
  code (an operator, a method call, a string's prefix), so it is looked for in the
  arguments without what their comments and plain string literals hold (`"%Y-%m-%d"` holds
  no `%` operator);
- in a rule's reach only (:mod:`flake8_fastapi_prod.regions` tests it on each top-level
  statement): ``("params", (needs, proofs))``, a function definition whose parameters, the
  text from the `(` after its name to its `)`, meet ``needs``, one of them alone meeting
  ``needs`` without showing one of ``proofs`` (a rule whose node is a parameter; a proof
  is text that makes the rule's ``not`` match, as `= Depends(...)`), and ``("stmt",
  (keyword, needs))``, a simple statement that starts with
  ``keyword`` (`raise`, `return`...) whose text, to its end, meets ``needs`` (a rule
  whose node is such a statement; there, an imported name counts where the statement
  writes one of its spellings);
- ``("any_word", words)`` / ``("all_words", words)``: some / all of a frozenset of words;
- ``("all", parts)`` / ``("any", parts)``; ``True`` (nothing known) and ``False`` (never).

A requirement is checked twice per file: first on the words alone, where an import counts if
its module's first segment and the name's last segment both occur as words (true of every
way of importing and using a name); then, for the rules that pass and need imports, with the
file's imports read from Python's syntax tree. Only a file some rule passes both checks on
is parsed by tree-sitter. A rule's triggers (sets of words of which one each must occur)
reject most rules on most files before the requirement itself is evaluated.

This module holds what runs on every file; deriving requirements needs regular expressions
and code that a flake8 process whose rulebook comes from the cache never loads.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import AbstractSet, Callable, Generic, Iterable, Iterator, Optional, TypeVar, Union

from flake8_fastapi_prod.arguments import WORD_CHARS, call_end, code_of, statement_end
from flake8_fastapi_prod.imports import BUILTINS, Imports

Requirement = Union[bool, tuple]
Texts = Callable[[str], tuple[str, ...]]  # the ways a file writes a qualified name
Spelled = Callable[[tuple[str, ...]], Iterable[str]]  # the ways a file writes some qualified names
Words = AbstractSet[str]  # the words of a file, read only
T = TypeVar("T")


def beyond_triggers(req: Requirement) -> Requirement:
    """What is left of ``req`` to check once its triggers (``requirements.triggers``) have
    passed: the word atoms at its top level are exactly their own triggers, so they need no
    second look."""
    if req is True or req is False:
        return req
    if req[0] in _WORD_KINDS:
        return True
    if req[0] == "all":
        rest = tuple(part for part in req[1] if part[0] not in _WORD_KINDS)
        return True if not rest else rest[0] if len(rest) == 1 else ("all", rest)
    return req


_WORD_KINDS = ("word", "any_word", "all_words")


class TriggerIndex(Generic[T]):
    """Which items (rules) may apply to a file, judged from its words in one pass: every
    trigger set of every item is a bit, and each word maps to the bits of the sets it is in.

    flake8 runs other checks between two files, which evict from the CPU's caches whatever
    the prefilter touched; one dictionary and a list of integers are far fewer memory reads
    than each rule's requirement (on docs_src, with pycodestyle run between files, this and
    :func:`beyond_triggers` took the prefilter from 58 to 31 ms)."""

    def __init__(self, items: list[tuple[tuple[frozenset[str], ...], T]]) -> None:
        bits: dict[str, int] = {}
        self.plan: list[tuple[int, T]] = []  # (the bits an item needs, the item), in order
        bit = 1
        for sets, item in items:
            needed = 0
            for words in sets:
                needed |= bit
                for word in words:
                    bits[word] = bits.get(word, 0) | bit
                bit <<= 1
            self.plan.append((needed, item))
        self.bits = bits
        self.words = frozenset(bits)

    def passing(self, words: Words) -> list[T]:
        """The items all of whose trigger sets have a word among ``words``."""
        present = 0
        bits = self.bits
        for word in self.words.intersection(words):
            present |= bits[word]
        return [item for needed, item in self.plan if needed & present == needed]


# Bytes that can be part of a word keep their value, the rest become spaces: splitting the
# translated text gives its words twice as fast as a regular expression does.
_WORD_BYTES = bytes(b if chr(b).isascii() and (chr(b).isalnum() or chr(b) == "_") else 0x20 for b in range(256))
_DIGITS = "0123456789"


def words_of(text: str) -> Words:
    """The words of ``text`` as :data:`_WORD` finds them (plus runs that start with digits).

    A set, not a frozenset: nothing changes it, and copying it would cost time on every file."""
    words = set(text.encode("utf-8", "surrogatepass").translate(_WORD_BYTES).decode("ascii").split())
    if words and min(words) <= "9":  # digits sort first: min() in C spares the loop on half the files
        words.update([word.lstrip(_DIGITS) for word in words if word[0] <= "9"])  # `1if` holds `if`
        words.discard("")
    return words


class SourceFacts:
    """What the prefilter knows of one file: its text, its words and, once read, its imports."""

    __slots__ = ("text", "words", "texts", "spellable")

    def __init__(self, text: str) -> None:
        self.text = text
        self.words = words_of(text)
        self.texts: Optional[Texts] = None  # set once the file's imports are read (know_imports)
        self.spellable: Optional[Callable[[tuple[str, ...]], list[str]]] = None  # the same

    def know_imports(self, imports: Imports) -> None:
        """From now on, judge imports by what the file imports, not by its words."""
        self.texts = imports.texts
        self.spellable = imports.spellable

    def spellings(self, names: tuple[str, ...]) -> Iterator[str]:
        """The ways the file writes ``names`` (once its imports are read)."""
        assert self.texts is not None
        spelled = self.spellable(names) if self.spellable is not None else names  # most are not
        return (text for name in spelled for text in self.texts(name))

    def uses_import(self, names: tuple[str, ...], called: bool = False) -> bool:
        """Whether the file imports one of ``names`` and uses it (its last segment occurs),
        or, if ``called``, calls it (a spelling of it is followed by `(`). Before the imports
        are read: whether it could, judged from the words alone."""
        words = self.words
        if self.texts is not None:
            used = [text for text in self.spellings(names) if text.rpartition(".")[2] in words]
            return bool(used) and (not called or calls(self.text, *used))
        by_last = _names_by_last_segment(names)
        for last in words.intersection(by_last):  # rules list dozens of names; files use few
            for first, _ in by_last[last]:
                if first is None or first in words:
                    return True
        return False


# What Python allows between the parts of a call's function and before its `(`: spaces,
# newlines inside brackets, line continuations and comments. A comment takes its newline
# with it, so that a comment holding `#` or spaces matches in one way only: with
# `#[^\n]*` the search backtracks exponentially on such comments.
_TRIVIA = r"(?:\s|\\\r?\n|#[^\n]*\n)*"


@lru_cache(maxsize=256)
def method_call_of(names: frozenset[str]) -> re.Pattern:
    """Where the text may call a method named one of ``names``: `.`, the name, `(`, with
    spaces, comments and line breaks between (`x . name (` too)."""
    alternatives = "|".join(map(re.escape, sorted(names)))
    return re.compile(rf"\.{_TRIVIA}(?:{alternatives}){_TRIVIA}\(")


def calls(text: str, *spellings: str) -> bool:
    """Whether ``text`` may call one of ``spellings`` (`t.sleep` in `t . sleep (1)` too): the
    spelling, then `(`, with what ``_TRIVIA`` allows around its dots and before the `(`, and
    no identifier character (ASCII) just before it: `my_t.sleep(` is not a call of `t.sleep`.
    A scan, not a regular expression: compiling one took ~0.4 ms a name, in every flake8
    process."""
    return next(call_openings(text, *spellings), None) is not None


def call_openings(text: str, *spellings: str) -> Iterator[int]:
    """Where the `(` of each call of one of ``spellings`` that :func:`calls` finds is.

    Looking for a name costs a pass over the text, most of it in `str.find`: spellings that
    start alike (`sa.text`, `sa.sql.text` after `import sqlalchemy as sa`) share one pass,
    and where the name is used with another attribute (`sa.Column`) none is looked into."""
    for first, seconds, by_second in _grouped(spellings):
        at = text.find(first)
        while at >= 0:
            end = at + len(first)
            # An identifier never directly follows a word character in Python that parses:
            # `sa` in `usage` is not the name `sa`.
            if not at or text[at - 1] not in WORD_CHARS:
                follower = text[end:end + 1]
                if follower == "(":  # only a spelling of one part is called here
                    if "" in by_second:
                        yield end
                elif follower == "." and text[end + 1:end + 2].isidentifier():
                    # The next part is written right after the dot: only the spellings it
                    # starts can go on (most uses go on with another attribute: `sa.Column`).
                    if text.startswith(seconds, end):
                        for second, rests in by_second.items():
                            if second and text.startswith(second, end + 1):
                                yield from _openings_after(text, end, rests)
                elif follower == "." or follower == "\\" or follower == "#" or follower.isspace():
                    for rests in by_second.values():  # trivia in a gap: any spelling may go on
                        yield from _openings_after(text, end, rests)
            at = text.find(first, at + 1)


def _openings_after(text: str, end: int, rests: list[list[str]]) -> Iterator[int]:
    """The openings of the calls that go on from ``end`` with one of ``rests``."""
    for rest in rests:
        opening = _opening_after(text, end, rest)
        if opening >= 0:
            yield opening


@lru_cache(maxsize=256)
def _grouped(spellings: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...], dict[str, list[list[str]]]], ...]:
    """``spellings`` by their first part: each first part, the `.second` parts that follow it,
    and the rest of each spelling by its second part ("": a spelling of one part). Files
    spell names alike, so this is worked out once for most of them."""
    groups: dict[str, dict[str, list[list[str]]]] = {}
    for spelling in dict.fromkeys(spellings):
        first, *rest = spelling.split(".")
        groups.setdefault(first, {}).setdefault(rest[0] if rest else "", []).append(rest)
    return tuple((first, tuple("." + second for second in by_second if second), by_second)
                 for first, by_second in groups.items())


def _opening_after(text: str, end: int, rest: list[str]) -> int:
    """Where the `(` is if ``text`` goes on from ``end`` with the dotted ``rest`` of a
    spelling, then `(`, with trivia in the gaps; -1 if it does not."""
    for part in rest:  # the gaps are looked into only where the parts do not follow at once
        if not text.startswith(".", end):
            end = _past_trivia(text, end)
            if not text.startswith(".", end):
                return -1
        end += 1
        if not text.startswith(part, end):
            end = _past_trivia(text, end)
            if not text.startswith(part, end):
                return -1
        end += len(part)
    opening = end if text.startswith("(", end) else _past_trivia(text, end)
    return opening if text.startswith("(", opening) else -1


def arguments_hold(text: str, args: tuple[Requirement, Requirement], spelled: Optional[Spelled]) -> bool:
    """Whether some call in ``text`` whose function is as ``args[0]`` says has arguments
    (the text from its `(` to its `)`) that meet ``args[1]``: the ``("args", ...)``
    requirement. ``spelled`` gives the file's spellings of imported names; without it
    (imports not read), a call of an imported name may be anywhere, and so may its arguments."""
    function, needs = args
    openings = _openings(text, function, spelled)
    if openings is None:
        return True
    return any(_holds_in(needs, text[opening:call_end(text, opening)]) for opening in openings)


def parameters_hold(text: str, needs: Requirement, proofs: tuple[tuple, ...] = ()) -> bool:
    """Whether some function definition in ``text`` has parameters (the text from its `(`
    to its `)`) that meet ``needs``, with one parameter among them that meets ``needs`` and
    shows none of ``proofs`` (``requirements.parameter_proofs``): the ``("params", ...)``
    requirement."""
    openings = _parameter_openings(text)
    if openings is None:
        return True
    for opening in openings:
        span = text[opening:call_end(text, opening)]
        if _holds_in(needs, span) and (not proofs or _some_parameter_holds(span, needs, proofs)):
            return True
    return False


def _some_parameter_holds(span: str, needs: Requirement, proofs: tuple[tuple, ...]) -> bool:
    parameters = _parameters_of(span)
    if parameters is None:
        return True
    return any(_holds_in(needs, parameter) and not _shows_a_proof(parameter, proofs) for parameter in parameters)


_BRACKETS = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}
_NOT_ALONE = "=<>!:"  # an `=` beside one of these is an operator (`==`, `<=`, `:=`...), not a default's


def _parameters_of(span: str) -> Optional[list[str]]:
    """The parameters between the brackets of ``span`` (a `def`'s `(...)`), split at the
    commas outside brackets; None where that could split one in two or hide one: a string
    or a comment (which may hold a comma or a bracket), a lambda (whose parameters are
    separated by commas too), a line continuation."""
    if not span.endswith(")") or any(mark in span for mark in ("'", '"', "#", "\\", "lambda")):
        return None
    parameters, depth, start = [], 0, 1
    for at in range(1, len(span) - 1):
        char = span[at]
        if char in _BRACKETS:
            depth += _BRACKETS[char]
        elif char == "," and depth == 0:
            parameters.append(span[start:at])
            start = at + 1
    parameters.append(span[start:-1])
    return parameters


def _shows_a_proof(parameter: str, proofs: tuple[tuple, ...]) -> bool:
    """Whether the text of ``parameter`` (no strings, comments or lambdas in it) shows one of
    ``proofs``: its default is a call of one of their names, or its annotation calls one."""
    annotation, default = _annotation_and_default(parameter)
    for kind, (names, methods) in proofs:
        if kind == "value_call" and default is not None and _is_a_call_of(default.strip(), names, methods):
            return True
        if kind == "type_call" and annotation is not None and _calls_one_of(annotation, names, methods):
            return True
    return False


def _annotation_and_default(parameter: str) -> tuple[Optional[str], Optional[str]]:
    """The text after the parameter's `:` up to its `=`, and after its `=` (None where absent)."""
    depth, colon = 0, None
    for at, char in enumerate(parameter):
        if char in _BRACKETS:
            depth += _BRACKETS[char]
        elif depth == 0 and char == ":" and colon is None:
            colon = at
        elif depth == 0 and char == "=" and parameter[at - 1:at] not in _NOT_ALONE and parameter[at + 1:at + 2] != "=":
            return (parameter[colon + 1:at] if colon is not None else None), parameter[at + 1:]
    return (parameter[colon + 1:] if colon is not None else None), None


# Compiled where first used (re keeps it), not in every flake8 process that starts.
_CALLED = r"((?:[A-Za-z_][A-Za-z0-9_]*\s*\.\s*)*)([A-Za-z_][A-Za-z0-9_]*)\s*\("
_A_CALL = r"(?<![\w])([A-Za-z_][A-Za-z0-9_]*)\s*\("


def _is_a_call_of(expression: str, names: AbstractSet[str], methods: AbstractSet[str]) -> bool:
    """Whether ``expression`` is, whole, a call of a name among ``names`` (`Depends(...)`) or of
    an attribute among ``methods`` (`fastapi.Depends(...)`)."""
    called = re.match(_CALLED, expression)
    if called is None or _closing(expression, called.end() - 1) != len(expression) - 1:
        return False
    return called.group(2) in (methods if called.group(1) else names)


def _closing(text: str, opening: int) -> int:
    """Where the bracket opened at ``opening`` closes (no strings in ``text``); -1 if it does not."""
    depth = 0
    for at in range(opening, len(text)):
        if text[at] in _BRACKETS:
            depth += _BRACKETS[text[at]]
            if depth == 0:
                return at
    return -1


def _calls_one_of(expression: str, names: AbstractSet[str], methods: AbstractSet[str]) -> bool:
    """Whether ``expression`` holds a call of a name among ``names``, or of an attribute among
    ``methods``: the name, then `(`, and before it anything but a word character, a `.` for
    a method."""
    for called in re.finditer(_A_CALL, expression):
        before = expression[:called.start()].rstrip()
        if called.group(1) in (methods if before.endswith(".") else names):
            return True
    return False


def _parameter_openings(text: str) -> Optional[list[int]]:
    """Where the `(` of each function definition's parameters is; None if some `def` in
    the text is not followed by a name and `(` (or `[`, type parameters, then `(`): in a
    string or a comment, or a name :func:`_in_word` does not read whole, it could hide a
    definition. (`str.find`, not a regular expression: one that starts with `\\b` makes
    `re` try every position, and compiling one costs more than most files' scans.)"""
    openings = []
    at = text.find("def")
    while at >= 0:
        end = at + 3
        if not (_in_word(text, at - 1) or _in_word(text, end)):  # the keyword, not `undefined`
            where = name = _past_trivia(text, end)  # then a name, and trivia again
            while _in_word(text, where):
                where += 1
            where = _past_trivia(text, where) if where > name else -1
            if text.startswith("[", where):  # `def f[T](...)`, Python 3.12
                where = _past_trivia(text, call_end(text, where))
            if not text.startswith("(", where):
                return None
            openings.append(where)
        at = text.find("def", end)
    return openings


def statements_hold(text: str, keyword: str, needs: Requirement, spelled: Optional[Spelled] = None) -> bool:
    """Whether some simple statement in ``text`` that starts with ``keyword`` meets ``needs``
    from the keyword to its end: the ``("stmt", ...)`` requirement. ``spelled`` gives the
    file's spellings of imported names (regions pass theirs, worked out once per file);
    without it, an imported name may be anywhere. (Every `raise` of the file's code is
    found; one in a string or a comment only adds a span to test.)"""
    at = text.find(keyword)
    while at >= 0:
        end = at + len(keyword)
        if not (_in_word(text, at - 1) or _in_word(text, end)):
            if _holds_in(needs, text[at:statement_end(text, at)], spelled=spelled):
                return True
        at = text.find(keyword, end)
    return False


def _in_word(text: str, at: int) -> bool:
    """Whether the character at ``at`` (if any) can be part of a name, as `\\w` reads one."""
    return 0 <= at < len(text) and (text[at].isalnum() or text[at] == "_")


def _openings(text: str, function: Requirement, spelled: Optional[Spelled]) -> Optional[Iterator[int]]:
    """Where the `(` of each call whose function is as ``function`` says may be; None if unknown."""
    if not isinstance(function, tuple):
        return None
    kind, value = function
    if kind == "method":
        return (found.end() - 1 for found in method_call_of(value).finditer(text))
    if kind == "call":
        if spelled is None:
            return None
        return call_openings(text, *spelled(value))
    if kind == "any":
        parts = [_openings(text, part, spelled) for part in value]
        return None if any(part is None for part in parts) else (opening for part in parts for opening in part)
    return None


def _holds_in(
    needs: Requirement, span: str, facts: Optional[SourceFacts] = None, spelled: Optional[Spelled] = None,
) -> bool:
    """Whether the words and texts ``needs`` asks for are in ``span``; what only the whole
    file can tell is taken to hold: an import (unless ``spelled`` gives the file's spellings
    of imported names: a use writes the last part of one), a call of an imported name."""
    if not isinstance(needs, tuple):
        return needs
    kind, value = needs
    if kind in ("all", "any"):
        facts = facts or SourceFacts(span)
        found = (_holds_in(part, span, facts, spelled) for part in value)
        return all(found) if kind == "all" else any(found)
    if kind in ("word", "any_word", "all_words", "text", "method"):
        return holds(needs, facts or SourceFacts(span))
    if kind == "code":  # what only code can hold: not in the span's strings and comments
        return _holds_in(value, code_of(span), spelled=spelled)
    if kind in ("import", "call") and spelled is not None:
        words = (facts or SourceFacts(span)).words
        return any(spelling.rpartition(".")[2] in words for spelling in spelled(value))
    return True


def _past_trivia(text: str, at: int) -> int:
    """Where the trivia (``_TRIVIA``) that starts at ``at`` ends."""
    while at < len(text):
        char = text[at]
        if char.isspace():
            at += 1
        elif char == "\\" and text.startswith("\n", at + 1):
            at += 2
        elif char == "\\" and text.startswith("\r\n", at + 1):
            at += 3
        elif char == "#":
            newline = text.find("\n", at)
            if newline < 0:  # a comment is trivia with its line break only
                break
            at = newline + 1
        else:
            break
    return at


_BY_LAST: dict[tuple[str, ...], dict[str, list[tuple[Optional[str], str]]]] = {}


def _names_by_last_segment(names: tuple[str, ...]) -> dict[str, list[tuple[Optional[str], str]]]:
    """``names`` grouped by their last segment, with the first segment each import writes
    (any import of `a.b.c` writes `a`, and any use writes `c`, or the import itself does, as
    in `from a.b import c as d`); a builtin needs no import, so its first segment is None."""
    grouped = _BY_LAST.get(names)
    if grouped is None:
        grouped = _BY_LAST[names] = {}
        for name in names:
            first, last = first_and_last(name)
            grouped.setdefault(last, []).append((first, name))
    return grouped


def first_and_last(qualified: str) -> tuple[Optional[str], str]:
    if qualified.startswith(BUILTINS):
        return None, qualified.rpartition(".")[2]
    return qualified.partition(".")[0], qualified.rpartition(".")[2]


def holds(req: Requirement, facts: SourceFacts) -> bool:
    """Whether ``req`` holds for the file ``facts`` describes."""
    if req is True or req is False:
        return req
    kind, value = req
    if kind == "word":
        return value in facts.words
    if kind == "any_word":
        return not facts.words.isdisjoint(value)
    if kind == "all_words":
        return value <= facts.words
    if kind == "text":
        return value in facts.text
    if kind == "method":
        return not facts.words.isdisjoint(value) and method_call_of(value).search(facts.text) is not None
    if kind == "import":
        return facts.uses_import(value)
    if kind == "call":
        return facts.uses_import(value, called=True)
    if kind == "args":
        return arguments_hold(facts.text, value, facts.spellings if facts.texts is not None else None)
    if kind == "all":
        for part in value:
            if not holds(part, facts):
                return False
        return True
    for part in value:
        if holds(part, facts):
            return True
    return False
