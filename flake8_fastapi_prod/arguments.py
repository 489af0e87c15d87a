"""Where a call's arguments, or a simple statement, end in a file's text, found without parsing the file.

The prefilter's ``("args", ...)`` requirement (see :mod:`flake8_fastapi_prod.prefilter`)
tests the text from a call's `(` to its `)`, its ``("stmt", ...)`` requirement the text
from a keyword (`raise`) to the end of its statement. The ends are found by scans that know
Python's brackets, comments, line continuations and string literals. An f-string or
t-string may hold quotes and brackets of its own (Python 3.12 allows `f"{d["k"]}"`): one
whose text holds no quote and whose braces close is read as a plain literal, and at any
other the scan gives up, as it does where the text ends first: it then answers with the
end of the text. A span that is too long can only keep a statement that holds no match;
one that is too short could drop a match, so the scans never guess short.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

_OPENING = frozenset("([{")
_CLOSING = frozenset(")]}")


# Compiled when first needed, not when flake8 starts: most flake8 processes never scan a call.
@lru_cache(maxsize=1)
def _next_stop() -> re.Pattern:
    """What can change the depth or the state of the scan: brackets, a comment, a quote."""
    return re.compile(r"[()\[\]{}#'\"]")


@lru_cache(maxsize=4)
def _rest_of_string(quote: str) -> re.Pattern:
    """The rest of a string literal after its opening ``quote``. A backslash escapes the next
    character (in raw strings too, as far as where the literal ends goes); a literal in one
    quote goes on past a line break only if the line break is escaped."""
    if len(quote) == 3:
        return re.compile(rf"(?:[^\\]|\\.)*?{quote}", re.DOTALL)
    return re.compile(rf"(?:[^\\{quote}\n]|\\.)*{quote}", re.DOTALL)


# Prefixes (any case) of literals whose text holds code: formatted and template strings.
_CODE_PREFIXES = frozenset({"f", "fr", "rf", "t", "tr", "rt"})
WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")  # of an ASCII identifier


def call_end(text: str, opening: int) -> int:
    """Where the bracket that ``text`` opens at ``opening`` (a `(` in code) is closed, past
    the `)`; the end of the text where the scan cannot tell (see the module's docstring)."""
    return _scan_to_end(text, opening, _next_stop(), statement=False)


@lru_cache(maxsize=1)
def _next_statement_stop() -> re.Pattern:
    """What can end a simple statement or change the scan's state: brackets, a comment, a
    quote, a line continuation, a line break, `;`."""
    return re.compile(r"[()\[\]{}#'\"\\\n\r;]")


def statement_end(text: str, start: int) -> int:
    """Where the simple statement that starts at ``start`` (a keyword in code, as in `raise`)
    ends: at a line break or `;` outside brackets, string literals and line continuations;
    the end of the text where the scan cannot tell (a bracket closed that it did not see
    opened, an f-string it cannot read as a plain literal, a literal that does not end)."""
    return _scan_to_end(text, start, _next_statement_stop(), statement=True)


def _scan_to_end(text: str, at: int, stops: re.Pattern, statement: bool) -> int:
    """The scan of :func:`call_end` (``statement`` false: it ends past the bracket that
    closes the first) or :func:`statement_end` (true: at a line break or `;` outside
    brackets), from ``at``, stopping at what ``stops`` finds."""
    next_stop = stops.search
    depth = 0
    while True:
        found = next_stop(text, at)
        if found is None:
            return len(text)
        at = found.start()
        char = text[at]
        if char in _OPENING:
            depth += 1
            at += 1
        elif char in _CLOSING:
            depth -= 1
            at += 1
            if depth == 0 and not statement:
                return at
            if depth < 0:
                return len(text)
        elif char == "#":
            at = text.find("\n", at)
            if at < 0:
                return len(text)
        elif char in "'\"":
            at = _literal_end(text, at)
            if at < 0:
                return len(text)
        elif char == "\\":  # a line continuation: the statement goes on
            at += 3 if text.startswith("\r\n", at + 1) else 2
        elif depth == 0:  # a line break or `;`
            return at
        else:
            at += 1


@lru_cache(maxsize=1)
def _next_literal() -> re.Pattern:
    """Where a comment or a string literal may start."""
    return re.compile(r"[#'\"]")


def code_of(text: str) -> str:
    """``text`` without what its comments and plain string literals hold (their quotes and
    prefixes stay): where an operator, a method call or an f-string's prefix can only be
    code. An f-string or t-string holds code, and may hold quotes of its own: from one on,
    as from a literal that does not end, the rest of the text is kept as it is (more text
    can only keep a statement that holds no match)."""
    next_literal = _next_literal().search
    kept = []
    start = at = 0  # the text from `start` is kept; the scan is at `at`
    while True:
        found = next_literal(text, at)
        if found is None:
            break
        at = found.start()
        if text[at] == "#":
            kept.append(text[start:at])
            start = at = text.find("\n", at)  # the line break stays
            if at < 0:
                return "".join(kept)
            continue
        literal = _plain_literal(text, at)
        if literal is None:
            break
        quote, at = literal
        kept.append(text[start:found.start() + len(quote)])
        start = at - len(quote)
    kept.append(text[start:])
    return "".join(kept)


def _plain_literal(text: str, at: int) -> Optional[tuple[str, int]]:
    """The quote of the string literal whose quote is at ``at`` (`'`, `"` or three of them)
    and where the literal ends, past its closing quote; None at an f-string or t-string,
    whose text holds code, and at a literal that does not end."""
    if _prefix_before(text, at).lower() in _CODE_PREFIXES:
        return None
    return _literal_as_plain(text, at)


def _literal_as_plain(text: str, at: int) -> Optional[tuple[str, int]]:
    """The quote at ``at`` and where a literal that it opens ends if read as a plain one."""
    quote = text[at] * 3 if text.startswith(text[at] * 3, at) else text[at]
    rest = _rest_of_string(quote).match(text, at + len(quote))
    return None if rest is None else (quote, rest.end())


def _literal_end(text: str, at: int) -> int:
    """Where the string literal whose quote is at ``at`` ends, past its closing quote; -1
    where the scan cannot tell. An f-string or t-string ends where a plain literal would
    if its braces close in order and no quote is between braces: from Python 3.12 a
    replacement field may hold quotes of its own (`f"{d["k"]}"`), and a quote inside one,
    or a field still open at the end, means the literal may go on."""
    literal = _literal_as_plain(text, at)
    if literal is None:
        return -1
    quote, end = literal
    if _prefix_before(text, at).lower() in _CODE_PREFIXES and not _fields_plain(text[at + len(quote):end - len(quote)]):
        return -1
    return end


def _fields_plain(text: str) -> bool:
    """Whether every `}` of ``text`` closes a `{` before it, every `{` is closed and no quote
    is between them. (`{{` counts as two: an escaped brace can only make this say no.)"""
    depth = 0
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                return False
        elif depth and char in "'\"":
            return False
    return depth == 0


def _prefix_before(text: str, quote: int) -> str:
    """The word right before a quote: a string prefix (`rb`, `f`), a keyword (`if"x"`) or nothing."""
    start = quote
    while start and text[start - 1] in WORD_CHARS:
        start -= 1
    return text[start:quote]
