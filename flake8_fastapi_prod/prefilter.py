"""The prefilter: what must occur in a file for a rule to match anything there.

ast-grep-py compiles a rule again on every call, which costs far more than finding nothing
in a small file. So every rule yields a :data:`Requirement`, derived from the rule itself
(team rules get one without writing anything), and the engine skips the rules whose
requirement fails, which is most rules on most files. A requirement is a formula over:

- ``("word", w)``: the identifier ``w`` occurs as a whole word (a pattern's identifiers, the
  keyword a node kind implies, a regex that is a word from ``^`` to a word boundary);
- ``("text", s)``: ``s`` occurs anywhere (the leading words of other regexes, ``@``);
- ``("import", names)``: the file imports one of these qualified names and uses it;
- ``("call", names)``: the same, and calls it (a call whose function is ``imported:``);
- ``("any_word", words)`` / ``("all_words", words)``: some / all of a frozenset of words;
- ``("all", parts)`` / ``("any", parts)``; ``True`` (nothing known) and ``False`` (never).

A requirement is checked twice per file: first on the words alone, where an import counts if
its module's first segment and the name's last segment both occur as words (true of every
way of importing and using a name); then, for the rules that pass and need imports, with the
file's imports read from Python's syntax tree. Only a file some rule passes both checks on
is parsed by tree-sitter. A rule's :func:`triggers` (sets of words of which one each must
occur) reject most rules on most files before the requirement itself is evaluated.
"""

from __future__ import annotations

import keyword
import re
from functools import lru_cache
from typing import Any, Callable, Generic, Optional, TypeVar, Union

from flake8_fastapi_prod.imports import BUILTINS
from flake8_fastapi_prod.shorthand import IMPORTED, RELATIONAL_KEYS, imported_names

Requirement = Union[bool, tuple]
Texts = Callable[[str], tuple[str, ...]]  # the ways a file writes a qualified name
T = TypeVar("T")

# Identifiers as the prefilter sees them, in rule patterns and in source text alike: the same
# expression on both sides, so a word of a pattern is a word of any text the pattern matches.
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PATTERN_WORD = re.compile(r"\$*[A-Za-z_][A-Za-z0-9_]*")  # `$X` and `$$$ARGS` are metavariables

# Node kinds whose text always contains a keyword: the keyword must occur for one to exist.
KIND_KEYWORDS = {
    "raise_statement": "raise", "yield": "yield", "await": "await", "lambda": "lambda",
    "try_statement": "try", "with_statement": "with", "decorator": "@", "assert_statement": "assert",
    "return_statement": "return", "delete_statement": "del", "global_statement": "global",
    "nonlocal_statement": "nonlocal", "class_definition": "class", "function_definition": "def",
    "import_statement": "import", "import_from_statement": "import", "for_statement": "for",
    "while_statement": "while", "if_statement": "if", "except_clause": "except", "finally_clause": "finally",
}


def requirement(rule: Any, utils: dict[str, Any], _seen: frozenset[str] = frozenset()) -> Requirement:
    """What must hold in a file for ``rule`` to match anything there (conservatively)."""
    if not isinstance(rule, dict):
        return True
    parts = own_requirements(rule)
    conjuncts = rule["all"] if isinstance(rule.get("all"), list) else []
    for key in RELATIONAL_KEYS:  # the related node must exist somewhere in the file
        called = called_requirement(rule, rule.get(key)) if key == "has" else None
        parts.append(called or requirement(rule.get(key), utils, _seen))
    for sub in conjuncts:
        called = called_requirement(rule, sub["has"]) if _only_has(sub) else None
        parts.append(called or requirement(sub, utils, _seen))
    if isinstance(rule.get("any"), list):
        parts.append(any_of([requirement(sub, utils, _seen) for sub in rule["any"]]))
    name = rule.get("matches")
    if isinstance(name, str) and name in utils:
        # A utility that refers to itself can only match through a branch that does not
        # (trees are finite), so the recursive reference itself adds no way to match.
        parts.append(False if name in _seen else requirement(utils[name], utils, _seen | {name}))
    return all_of(parts)


def own_requirements(rule: dict[str, Any]) -> list[Requirement]:
    """What a rule's tests of the node itself need in the node's text: a pattern's
    identifiers, a regex's leading words, the keyword of a kind, an imported name."""
    parts: list[Requirement] = []
    pattern = rule.get("pattern")
    if isinstance(pattern, str):
        # A pattern matches source text leaf for leaf: each identifier it names must occur.
        parts += [("word", w) for w in _PATTERN_WORD.findall(pattern) if not w.startswith("$")]
    if isinstance(rule.get("regex"), str):
        parts.append(_regex_requirement(rule["regex"]))
    keyword = KIND_KEYWORDS.get(rule.get("kind"))  # a `raise_statement` node holds the word `raise`
    if keyword is not None:
        parts.append(("word", keyword) if _WORD.fullmatch(keyword) else ("text", keyword))
    if IMPORTED in rule:
        parts.append(("import", tuple(imported_names(rule[IMPORTED]))))
    return parts


def _only_has(sub: Any) -> bool:
    return isinstance(sub, dict) and sub.keys() == {"has"}


def called_requirement(rule: dict[str, Any], has: Any) -> Optional[tuple]:
    """On a call, ``has: {field: function, imported: names}`` says the call's function is one
    of ``names``: the file must import one and call it, its spelling followed by `(`. None
    for any other ``has``."""
    conjuncts = rule["all"] if isinstance(rule.get("all"), list) else []
    is_call = rule.get("kind") == "call" or {"kind": "call"} in conjuncts
    if is_call and isinstance(has, dict) and has.keys() == {"field", IMPORTED} and has["field"] == "function":
        return ("call", tuple(imported_names(has[IMPORTED])))
    return None


def _regex_requirement(regex: str) -> Requirement:
    """What a regex needs in the text: the words it starts with (``^on_(startup|shutdown)$``
    needs ``on_startup`` or ``on_shutdown``), or the text of a literal (``^[+]$`` needs
    ``+``); for anything less simple, nothing. The words are whole words when the regex
    anchors them at both ends (``^`` and a word boundary)."""
    words, rest = _leading_words(regex)
    if not words:
        literal = _literal(regex)
        return ("text", literal) if literal else True
    kind = "word" if regex.startswith("^") and _starts_with_boundary(rest) else "text"
    return any_of([(kind, word) for word in words])


# A regex that stands for one string: plain characters, escaped punctuation (`\.`) and
# one-character classes (`[+]`), between optional anchors.
_LITERAL_PIECE = r"[^\\\[\](){}.*+?^$|]|\\[^A-Za-z0-9]|\[(?:[^\]\\^]|\\[^A-Za-z0-9])\]"
_LITERAL = re.compile(rf"\^?(?P<body>(?:{_LITERAL_PIECE})+)\$?")
_LITERAL_CHAR = re.compile(r"\\(.)|\[\\?(.)\]|(.)", re.DOTALL)


def _literal(regex: str) -> Optional[str]:
    match = _LITERAL.fullmatch(regex)
    if match is None:
        return None
    return "".join(m.group(1) or m.group(2) or m.group(3) for m in _LITERAL_CHAR.finditer(match["body"]))


# An optional `^`, a word, an optional group of alternative words, a word, then the rest.
_LEADING = re.compile(r"\^?(?P<head>[A-Za-z0-9_]*)(?:\((?:\?:)?(?P<body>[A-Za-z0-9_|]+)\))?(?P<tail>[A-Za-z0-9_]*)")


def _leading_words(regex: str) -> tuple[list[str], str]:
    match = _LEADING.match(regex)
    rest = regex[match.end():]
    if rest[:1] in ("?", "*", "{", "|") or "|" in _top_level(rest):
        return [], rest  # the last piece is optional, or the regex has other alternatives
    words = [match["head"] + word + match["tail"] for word in (match["body"] or "").split("|")]
    return (words if all(_WORD.fullmatch(word) for word in words) else []), rest


def _top_level(regex: str) -> str:
    """The regex with bracketed and parenthesised parts removed (roughly: enough to see `|`)."""
    depth, out, escaped = 0, [], False
    for char in regex:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        elif depth == 0:
            out.append(char)
    return "".join(out)


_NOT_WORD_CHAR = re.compile(r"[^A-Za-z0-9_\\\[\].^$*+?(){}|]")  # a literal that ends a word
_NOT_WORD_ESCAPE = re.compile(r"\\(?:[^A-Za-z0-9]|[tnrsW])")
_CLASS_MEMBER = r"(?:[^\]\\A-Za-z0-9_-]|\\(?:[^A-Za-z0-9]|[tnr]))"  # not a word character, nor a range
_NOT_WORD_CLASS = re.compile(rf"\[(?!\^){_CLASS_MEMBER}+\]")  # `[ \t]`, `[.]`; not negated
_GROUP = re.compile(r"\((?:\?:)?(?P<body>[^()]*)\)")


def _starts_with_boundary(rest: str) -> bool:
    """Whether whatever ``rest`` matches first cannot continue a word: the end (``$``), a
    literal like `` `` or ``,``, an escape like ``\\.``, a class like ``[ \\t]``, or a group whose
    every alternative starts so (``([.]|$)``)."""
    if rest.startswith("$") or _NOT_WORD_CHAR.match(rest) or _NOT_WORD_ESCAPE.match(rest):
        return True
    piece = _NOT_WORD_CLASS.match(rest) or _GROUP.match(rest)
    if piece is None or rest[piece.end():piece.end() + 1] in ("?", "*", "{"):
        return False
    if piece.re is _NOT_WORD_CLASS:
        return True
    alternatives = piece["body"].split("|")
    return all(alternative and _starts_with_boundary(alternative) for alternative in alternatives)


def all_of(parts: list[Requirement]) -> Requirement:
    return _combine(parts, "all", "all_words", decisive=False)


def any_of(parts: list[Requirement]) -> Requirement:
    return _combine(parts, "any", "any_word", decisive=True)


def _combine(parts: list[Requirement], kind: str, words_kind: str, decisive: bool) -> Requirement:
    """``all`` (a False part decides) or ``any`` (a True part decides) of ``parts``: flattened,
    without repeats, its whole words merged into one set and checked before the rest."""
    flat: list[tuple] = []
    for part in parts:
        if part is decisive:
            return decisive
        if part is not (not decisive):
            flat += part[1] if part[0] == kind else [part]
    words: set[str] = set()
    rest: list[tuple] = []
    for part in flat:
        if part[0] == "word":
            words.add(part[1])
        elif part[0] == words_kind:
            words |= part[1]
        elif part not in rest:
            rest.append(part)
    rest.sort(key=_cost)
    merged = ([(words_kind, frozenset(words))] if len(words) > 1 else [("word", w) for w in words]) + rest
    if not merged:
        return not decisive  # `all` of nothing holds; `any` of nothing (an empty `any`) never does
    return merged[0] if len(merged) == 1 else (kind, tuple(merged))


_COSTS = {"word": 0, "any_word": 0, "all_words": 0, "text": 1, "any": 2, "all": 2, "import": 3, "call": 4}


def _cost(part: tuple) -> int:
    return _COSTS[part[0]]


def triggers(req: Requirement) -> tuple[frozenset[str], ...]:
    """Sets of words, each of which has a word in every file where ``req`` holds (none: no
    such words are known). A :class:`TriggerIndex` checks them for all rules at once, far
    cheaper than evaluating each rule's requirement."""
    if req is True:
        return ()
    if req is False:
        return (frozenset(),)
    kind, value = req
    if kind == "word":
        return (frozenset([value]),)
    if kind == "any_word":
        return (value,)
    if kind == "all_words":
        return tuple(frozenset([word]) for word in sorted(value))
    if kind in ("import", "call"):  # every use writes the name's last segment, every import its module's first
        firsts, lasts = zip(*map(_first_and_last, value))
        return (frozenset(lasts),) if None in firsts else (frozenset(lasts), frozenset(firsts))
    if kind == "all":
        return tuple(dict.fromkeys(words for part in value for words in triggers(part)))
    if kind == "any":  # one set per alternative (the rarest), joined
        chosen = []
        for part in value:
            found = triggers(part)
            if not found:
                return ()
            chosen.append(min(found, key=lambda words: max(map(_commonness, words), default=(0, 0, ""))))
        return (frozenset().union(*chosen),)
    return ()  # `text`: a substring, not a word


def beyond_triggers(req: Requirement) -> Requirement:
    """What is left of ``req`` to check once its :func:`triggers` have passed: the word
    atoms at its top level are exactly their own triggers, so they need no second look."""
    if req is True or req is False:
        return req
    if req[0] in _WORD_KINDS:
        return True
    if req[0] == "all":
        rest = tuple(part for part in req[1] if part[0] not in _WORD_KINDS)
        return True if not rest else rest[0] if len(rest) == 1 else ("all", rest)
    return req


_WORD_KINDS = ("word", "any_word", "all_words")


def _commonness(word: str) -> tuple[int, int, str]:
    # Keywords occur in nearly every file; among other words, longer ones tend to be rarer.
    return (word in _KEYWORDS, -len(word), word)


_KEYWORDS = frozenset(keyword.kwlist) | {"self", "cls", "print", "None", "True", "False"}


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

    def passing(self, words: frozenset[str]) -> list[T]:
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


def words_of(text: str) -> frozenset[str]:
    """The words of ``text`` as :data:`_WORD` finds them (plus runs that start with digits)."""
    words = set(text.encode("utf-8", "surrogatepass").translate(_WORD_BYTES).decode("ascii").split())
    words.update([word.lstrip(_DIGITS) for word in words if word[0] <= "9"])  # `1if` holds `if`
    words.discard("")
    return frozenset(words)


class SourceFacts:
    """What the prefilter knows of one file (or of one statement of a file, see
    :mod:`flake8_fastapi_prod.regions`): its text, its words and, once read, its imports."""

    __slots__ = ("text", "words", "texts", "whole_file")

    def __init__(self, text: str, texts: Optional[Texts] = None, whole_file: bool = True) -> None:
        self.text = text
        self.words = words_of(text)
        self.texts = texts  # set once the file's imports are read
        self.whole_file = whole_file  # a statement does not hold the file's imports

    def uses_import(self, names: tuple[str, ...], called: bool = False) -> bool:
        """Whether the file imports one of ``names`` and uses it (its last segment occurs),
        or, if ``called``, calls it (a spelling of it is followed by `(`). Before the imports
        are read: whether it could, judged from the words alone."""
        words = self.words
        by_last = _names_by_last_segment(names)
        for last in words.intersection(by_last):  # rules list dozens of names; files use few
            for first, name in by_last[last]:
                if first is not None and first not in words and self.whole_file:
                    continue
                if self.texts is None:
                    return True
                for text in self.texts(name):
                    if text.rpartition(".")[2] in words and (not called or call_of(text).search(self.text)):
                        return True
        return False


# What Python allows between the parts of a call's function and before its `(`: spaces,
# newlines inside brackets, line continuations and comments. A comment takes its newline
# with it, so that a comment holding `#` or spaces matches in one way only: with
# `#[^\n]*` the search backtracks exponentially on such comments.
_TRIVIA = r"(?:\s|\\\r?\n|#[^\n]*\n)*"


@lru_cache(maxsize=1024)
def call_of(spelling: str) -> re.Pattern:
    """Where the text may call ``spelling`` (`t.sleep` in `t . sleep (1)` too). No `\\b` in
    front: it would cost the regex its fast scan for the literal (40 times slower), and
    `my_t.sleep(` matching as well is harmless here."""
    dotted = (_TRIVIA + r"\." + _TRIVIA).join(map(re.escape, spelling.split(".")))
    return re.compile(rf"{dotted}{_TRIVIA}\(")


_BY_LAST: dict[tuple[str, ...], dict[str, list[tuple[Optional[str], str]]]] = {}


def _names_by_last_segment(names: tuple[str, ...]) -> dict[str, list[tuple[Optional[str], str]]]:
    """``names`` grouped by their last segment, with the first segment each import writes
    (any import of `a.b.c` writes `a`, and any use writes `c`, or the import itself does, as
    in `from a.b import c as d`); a builtin needs no import, so its first segment is None."""
    grouped = _BY_LAST.get(names)
    if grouped is None:
        grouped = _BY_LAST[names] = {}
        for name in names:
            first, last = _first_and_last(name)
            grouped.setdefault(last, []).append((first, name))
    return grouped


def _first_and_last(qualified: str) -> tuple[Optional[str], str]:
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
    if kind == "import":
        return facts.uses_import(value)
    if kind == "call":
        return facts.uses_import(value, called=True)
    if kind == "all":
        for part in value:
            if not holds(part, facts):
                return False
        return True
    for part in value:
        if holds(part, facts):
            return True
    return False
