"""Where a call's arguments end in a file's text, found without parsing the file.

The prefilter's ``("args", ...)`` requirement (see :mod:`flake8_fastapi_prod.prefilter`)
tests the text from a call's `(` to its `)`. The `)` is found by a scan that knows Python's
brackets, comments and string literals. An f-string or t-string may hold quotes and brackets
of its own (Python 3.12 allows `f"{d["k"]}"`), so at one the scan gives up, as it does
where the text ends before the `)`: it then answers with the end of the text. A span that
is too long can only keep a statement that holds no match; one that is too short could drop
a match, so the scan never guesses short.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

_OPENING = frozenset("([{")


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
    next_stop = _next_stop().search
    depth = 0
    at = opening
    while True:
        found = next_stop(text, at)
        if found is None:
            return len(text)
        at = found.start()
        char = text[at]
        if char in _OPENING:
            depth += 1
            at += 1
        elif char == "#":
            at = text.find("\n", at)
            if at < 0:
                return len(text)
        elif char in "'\"":
            literal = _plain_literal(text, at)
            if literal is None:
                return len(text)
            at = literal[1]
        else:
            depth -= 1
            at += 1
            if depth == 0:
                return at


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
    quote = text[at] * 3 if text.startswith(text[at] * 3, at) else text[at]
    rest = _rest_of_string(quote).match(text, at + len(quote))
    return None if rest is None else (quote, rest.end())


def _prefix_before(text: str, quote: int) -> str:
    """The word right before a quote: a string prefix (`rb`, `f`), a keyword (`if"x"`) or nothing."""
    start = quote
    while start and text[start - 1] in WORD_CHARS:
        start -= 1
    return text[start:quote]
