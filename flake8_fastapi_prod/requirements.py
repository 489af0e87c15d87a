"""Deriving each rule's :data:`~flake8_fastapi_prod.prefilter.Requirement` from the rule itself.

What a rule's patterns, regexes, node kinds and ``imported:`` names need in a file's text
(see :mod:`flake8_fastapi_prod.prefilter` for the formula and how it is checked), and the
trigger words that reject most rules on most files before their requirement is evaluated.
Team rules get one without writing anything. This runs when a rulebook is loaded, not when
it comes from the cache.
"""

from __future__ import annotations

import keyword
import re
import warnings
from typing import Any, Callable, Iterator, Optional

try:  # how `re` reads a pattern: its syntax tree is where a regex's fixed text is
    from re import _constants as _sre, _parser as _sre_parse  # type: ignore[attr-defined]  # Python 3.11+
except ImportError:  # pragma: no cover  (Python 3.10)
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

from flake8_fastapi_prod.arguments import code_of
from flake8_fastapi_prod.branches import used_utils
from flake8_fastapi_prod.prefilter import Requirement, first_and_last
from flake8_fastapi_prod.shorthand import IMPORTED, RELATIONAL_KEYS, imported_names

# Identifiers as the prefilter sees them, in rule patterns and in source text alike: the same
# expression on both sides, so a word of a pattern is a word of any text the pattern matches.
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_METAVARIABLE = re.compile(r"\$+([A-Z_][A-Z0-9_]*)")
NOT_MATCHERS = {"not", "stopBy", "field"}  # keys that do not make a rule by themselves
_PATTERN_WORD = re.compile(r"\$*[A-Za-z_][A-Za-z0-9_]*")  # `$X` and `$$$ARGS` are metavariables
_PATTERN_METHOD = re.compile(r"\.\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")  # `.read(` in `$FILE.read()`

# Node kinds whose text always contains a keyword: the keyword must occur for one to exist.
KIND_KEYWORDS = {
    "raise_statement": "raise", "yield": "yield", "await": "await", "lambda": "lambda",
    "try_statement": "try", "with_statement": "with", "decorator": "@", "assert_statement": "assert",
    "return_statement": "return", "delete_statement": "del", "global_statement": "global",
    "nonlocal_statement": "nonlocal", "class_definition": "class", "function_definition": "def",
    "import_statement": "import", "import_from_statement": "import", "for_statement": "for",
    "while_statement": "while", "if_statement": "if", "except_clause": "except", "finally_clause": "finally",
}


def requirement(
    rule: Any, utils: dict[str, Any], _seen: frozenset[str] = frozenset(), in_code: bool = False,
    within: bool = False, _memo: Optional[dict[tuple, Requirement]] = None,
) -> Requirement:
    """What must hold in a file for ``rule`` to match anything there (conservatively).

    With ``in_code``, only what can be written nowhere but in code: what a comment or a plain
    string literal could hold is left out (see :func:`own_requirements`). With ``within``,
    only what the text of a matching node holds: what its ``has`` finds, not its parents
    and siblings (``inside``, ``precedes``, ``follows``)."""
    if not isinstance(rule, dict):
        return True
    # Each util's requirement is derived once per set of utils above it: utils that use
    # each other several times (FAP402's safe values) otherwise cost time exponential in
    # their number (six such utils took 40 s to load).
    memo: dict[tuple, Requirement] = {} if _memo is None else _memo
    parts = own_requirements(rule, in_code)
    conjuncts = rule["all"] if isinstance(rule.get("all"), list) else []
    derive = lambda related: requirement(related, utils, _seen, in_code, within, memo)  # noqa: E731
    for key in RELATIONAL_KEYS:  # the related node must exist somewhere in the file
        if within and key != "has":
            continue
        parts.append(has_requirement(rule, rule.get(key), derive) if key == "has" else derive(rule.get(key)))
    # A conjunct, or an alternative, that is only a `has` tests this same node: what it says
    # of a call's function counts as it does in the rule's own `has`.
    of_this_node = lambda sub: has_requirement(rule, sub["has"], derive) if _only_has(sub) else derive(sub)  # noqa: E731
    parts += map(of_this_node, conjuncts)
    args = arguments_requirement(rule, derive, lambda related: requirement(related, utils, _seen, True, within, memo))
    if args is not None:
        parts.append(args)
    if isinstance(rule.get("any"), list):
        parts.append(any_of(list(map(of_this_node, rule["any"]))))
    name = rule.get("matches")
    if isinstance(name, str) and name in utils:
        # A utility that refers to itself can only match through a branch that does not
        # (trees are finite), so the recursive reference itself adds no way to match.
        if name in _seen:
            parts.append(False)
        else:
            key = (name, _seen, in_code, within)
            if key not in memo:
                memo[key] = requirement(utils[name], utils, _seen | {name}, in_code, within, memo)
            parts.append(memo[key])
    return all_of(parts)


def droppable_branches(
    body: dict[str, Any], utils: dict[str, Any], constraints: dict[str, Any],
) -> tuple[tuple[tuple, Requirement], ...]:
    """The branches of a rule that some files cannot use (see :mod:`flake8_fastapi_prod.branches`),
    each with where it is and what a file needs for it to match: each item of an ``any`` of
    two or more, and each ``not`` beside a key that matches by itself. A branch that names a metavariable the
    constraints test, itself or in a util it uses, is never dropped: ast-grep checks that
    the constraints' metavariables occur in the rule."""
    constrained = set(constraints)
    found = []
    memo: dict[tuple, Requirement] = {}  # the utils' requirements, shared by every branch
    for where, node in rule_mappings(body, utils):
        options = node.get("any")
        candidates = []
        if isinstance(options, list) and len(options) > 1:
            candidates += [((*where, "any", index), option) for index, option in enumerate(options)]
        if "not" in node and set(node) - NOT_MATCHERS:  # without its `not`, a rule must still match something
            candidates.append(((*where, "not"), node["not"]))
        for path, branch in candidates:
            needs = requirement(branch, utils, _memo=memo)
            if needs is not True and not constrained.intersection(metavariables(branch, utils)):
                found.append((path, needs))
    return tuple(found)


def metavariables(rule: Any, utils: dict[str, Any]) -> set[str]:
    """The metavariables ``rule`` names, in itself and in the utils it uses."""
    return set(_METAVARIABLE.findall(repr([rule, used_utils(rule, utils)])))


def rule_mappings(body: Any, utils: dict[str, Any]) -> Iterator[tuple[tuple, dict[str, Any]]]:
    """Every mapping in a rule's body and utils, with where it is: ``("rule", key or
    index, ...)`` or ``("utils", name, ...)``."""
    yield from _mappings(body, ("rule",))
    for name, util in utils.items():
        yield from _mappings(util, ("utils", name))


def _mappings(node: Any, where: tuple) -> Iterator[tuple[tuple, dict[str, Any]]]:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _mappings(value, (*where, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _mappings(item, (*where, index))


def own_requirements(rule: dict[str, Any], in_code: bool = False) -> list[Requirement]:
    """What a rule's tests of the node itself need in the node's text: a pattern's
    identifiers, a regex's leading words, the keyword of a kind, an imported name.

    With ``in_code``, only what cannot be in a comment or a plain string literal: not the
    words of the pattern's own string literals, nor a regex's text unless the node is a
    token of code (:data:`_CODE_KINDS`, :data:`_CODE_FIELDS`)."""
    parts: list[Requirement] = []
    pattern = rule.get("pattern")
    if isinstance(pattern, str):
        # A pattern matches source text leaf for leaf: each identifier it names must occur.
        written = code_of(pattern) if in_code else pattern
        parts += [("word", w) for w in _PATTERN_WORD.findall(written) if not w.startswith("$")]
        parts += _pattern_methods(pattern)
    if isinstance(rule.get("regex"), str) and (not in_code or _is_code_token(rule)):
        parts.append(_regex_requirement(rule["regex"]))
    keyword = KIND_KEYWORDS.get(rule.get("kind"))  # a `raise_statement` node holds the word `raise`
    if keyword is not None:
        parts.append(("word", keyword) if _WORD.fullmatch(keyword) else ("text", keyword))
    if IMPORTED in rule:
        parts.append(("import", tuple(imported_names(rule[IMPORTED]))))
    return parts


def _pattern_methods(pattern: str) -> list[Requirement]:
    """The method calls a pattern writes, `$FILE.read()`: a pattern matches leaf for leaf, the
    `.`, the name and the `(` included, so a text it matches calls the method too (and the
    word alone is often in a docstring or a `description=`). Not from its string literals,
    and not from a pattern with a comment, whose rest code_of could keep."""
    if "#" in pattern:
        return []
    return [("method", frozenset({name})) for name in _PATTERN_METHOD.findall(code_of(pattern))]


# Nodes whose text is code, never what a comment or a plain string literal holds (a string's
# start is its prefix and opening quote), and the fields that hold only such nodes.
_CODE_KINDS = frozenset({"identifier", "integer", "float", "true", "false", "none", "string_start"})
_CODE_FIELDS = frozenset({"operator", "operators", "attribute", "name"})


def _is_code_token(rule: dict[str, Any]) -> bool:
    return rule.get("kind") in _CODE_KINDS or rule.get("field") in _CODE_FIELDS


def _only_has(sub: Any) -> bool:
    return isinstance(sub, dict) and sub.keys() == {"has"}


def has_requirement(rule: dict[str, Any], has: Any, derive: Callable[[Any], Requirement]) -> Requirement:
    """What ``rule``'s ``has`` needs: ``derive(has)``, or more where ``rule`` is a call and
    ``has`` says what its function is (:func:`called_requirement`, :func:`method_requirement`)."""
    called = called_requirement(rule, has)
    if called is not None:
        return called
    method = method_requirement(rule, has)
    return derive(has) if method is None else all_of([derive(has), method])


def _is_call(rule: dict[str, Any]) -> bool:
    conjuncts = rule["all"] if isinstance(rule.get("all"), list) else []
    return rule.get("kind") == "call" or {"kind": "call"} in conjuncts


def called_requirement(rule: dict[str, Any], has: Any) -> Optional[tuple]:
    """On a call, ``has: {field: function, imported: names}`` says the call's function is one
    of ``names``: the file must import one and call it, its spelling followed by `(`. None
    for any other ``has``."""
    if _is_call(rule) and isinstance(has, dict) and has.keys() == {"field", IMPORTED} and has["field"] == "function":
        return ("call", tuple(imported_names(has[IMPORTED])))
    return None


def method_requirement(rule: dict[str, Any], has: Any) -> Optional[tuple]:
    """On a call, ``has: {field: function, has: {field: attribute, pattern: name}}`` (the
    inner ``has`` possibly among the function's ``all``, the pattern possibly an ``any`` of
    names) says the call is a method call, ``x.name(...)``: the file must hold a `.`, the
    name and a `(`, with only spaces, comments and line breaks between them. None for any
    other ``has``."""
    if not (_is_call(rule) and isinstance(has, dict) and has.get("field") == "function"):
        return None
    inner = [has.get("has")] + [sub["has"] for sub in has.get("all") or () if _only_has(sub)]
    for attribute in inner:
        names = _attribute_names(attribute)
        if names:
            return ("method", frozenset(names))
    return None


def arguments_requirement(
    rule: dict[str, Any], derive: Callable[[Any], Requirement],
    derive_in_code: Optional[Callable[[Any], Requirement]] = None,
) -> Optional[tuple]:
    """On a call that says what its function is (a method's name or an imported name, in a
    ``has`` of its own or an ``any`` of such) and what its arguments hold (``has: {field:
    arguments, ...}``): ``("args", (function, needs))``, where ``needs`` is what ``derive``
    finds the arguments need. The prefilter then tests the text between that call's brackets,
    not the whole statement. None for any other rule.

    Where ``derive_in_code`` (``derive`` with ``in_code``, :func:`requirement`) finds the
    same, nothing the arguments need can be in a comment or a plain string literal, and
    ``needs`` is ``("code", needs)``: `sa.text("%Y-%m-%d")` holds no `%` operator.

    Only direct children count (no ``stopBy``): with ``stopBy: end``, the function or the
    arguments found could be those of another call inside this one's function
    (`conn(x).execute(q)`), whose brackets are elsewhere."""
    if not _is_call(rule):
        return None
    conjuncts = [{"has": rule["has"]}] if isinstance(rule.get("has"), dict) else []
    conjuncts += [sub for sub in rule.get("all") or () if isinstance(sub, dict)]
    function: Optional[tuple] = None
    needs: list[Requirement] = []
    arguments = []
    for sub in conjuncts:
        if _only_has(sub) and _direct(sub["has"]) and sub["has"].get("field") == "arguments":
            arguments.append(sub["has"])
            needs.append(derive(sub["has"]))
        elif function is None:
            function = _function_requirement(rule, sub)
    needed = all_of(needs)
    if function is None or needed is True or needed is False:
        return None
    if derive_in_code is not None and all_of([derive_in_code(has) for has in arguments]) == needed:
        needed = ("code", needed)
    return ("args", (function, needed))


def span_requirements(
    rule: dict[str, Any], derive_within: Callable[[Any], Requirement], utils: Optional[dict[str, Any]] = None,
) -> list[tuple]:
    """What the text around ``rule``'s node must hold, where the node lies in a span the
    prefilter can find without parsing: a `def`'s parameters, a `raise` statement.

    Part of a rule's reach only, tested on each top-level statement that passed the rest:
    on the whole file, every `def` and `raise` of a large module was scanned, which cost
    more than it spared (the statements' tests reject the same files)."""
    found = (parameters_requirement(rule, derive_within, utils), statement_requirement(rule, derive_within))
    return [span for span in found if span is not None]


def parameters_requirement(
    rule: dict[str, Any], derive_within: Callable[[Any], Requirement], utils: Optional[dict[str, Any]] = None,
) -> Optional[tuple]:
    """On a node whose parent is a function's parameter list (``inside: {kind: parameters}``,
    directly): ``("params", (needs, proofs))``, where ``needs`` is what ``derive_within``
    finds the node's own text needs, and ``proofs`` what a parameter's text can show of the
    rule's ``not`` (:func:`parameter_proofs`). The prefilter then tests the text between the
    brackets of each `def`, not the whole statement: a route whose return type names `dict`
    holds no parameter annotated `dict`. None for any other rule.

    tree-sitter's ``parameters`` are a `def`'s alone (a lambda's are ``lambda_parameters``),
    and a child of them lies between its brackets."""
    conjuncts = [rule, *(sub for sub in rule.get("all") or () if isinstance(sub, dict))]
    inside = [sub.get("inside") for sub in conjuncts]
    if not any(_direct(parent) and parent.get("kind") == "parameters" for parent in inside):
        return None
    needs = derive_within(rule)
    if needs is True or needs is False:
        return None
    return ("params", (needs, parameter_proofs(conjuncts, utils or {})))


def parameter_proofs(conjuncts: list[dict[str, Any]], utils: dict[str, Any]) -> tuple[tuple, ...]:
    """What a parameter's text can show of the ``not`` of a rule whose node is a parameter:
    each proof is text that makes the ``not`` match, so a parameter that shows one is no
    match. Two shapes are read, a call of named functions as the default or anywhere in
    the annotation (FAP403's `commons: dict = Depends(...)` is a dependency, not a body):

    - ``("value_call", (names, methods))``: ``{has: {field: value, <a call>}}``, the default
      is a call of one of ``names`` or of a method (`fastapi.Depends`) among ``methods``;
    - ``("type_call", (names, methods))``: ``{has: {field: type, has: {stopBy: end, <a
      call>}}}``, the annotation calls one.

    where ``<a call>`` is ``kind: call`` with ``has: {field: function, ...}`` of patterns
    that are names, or ``has: {field: attribute, ...}`` of them. Anything else proves nothing."""
    proofs: list[tuple] = []
    for conjunct in conjuncts:
        if "not" in conjunct:
            proofs += _proofs(conjunct["not"], utils, frozenset())
    return tuple(sorted(set(proofs)))


def _proofs(rule: Any, utils: dict[str, Any], seen: frozenset[str]) -> list[tuple]:
    rule = _resolved(rule, utils, seen)
    if rule is None:
        return []
    if rule.keys() == {"any"} and isinstance(rule["any"], list):  # one item shown is enough
        return [proof for item in rule["any"] for proof in _proofs(item, utils, seen)]
    has = rule.get("has") if rule.keys() == {"has"} else None
    if not isinstance(has, dict):
        return []
    if has.get("field") == "value":
        called = _called_names({key: value for key, value in has.items() if key != "field"}, utils, seen)
        return [("value_call", called)] if called else []
    inner = has.get("has")
    if has.keys() == {"field", "has"} and has["field"] == "type" and isinstance(inner, dict) and inner.get("stopBy") == "end":
        called = _called_names({key: value for key, value in inner.items() if key != "stopBy"}, utils, seen)
        return [("type_call", called)] if called else []
    return []


def _called_names(rule: Any, utils: dict[str, Any], seen: frozenset[str]) -> Optional[tuple[frozenset, frozenset]]:
    """For ``kind: call`` whose function is one of some names: (the names, the method names)."""
    rule = _resolved(rule, utils, seen)
    if rule is None or rule.keys() != {"kind", "has"} or rule["kind"] != "call":
        return None
    function = rule["has"]
    if not isinstance(function, dict) or function.get("field") != "function":
        return None
    names, methods = _function_names({key: value for key, value in function.items() if key != "field"}, utils, seen)
    return (names, methods) if names or methods else None


def _function_names(rule: Any, utils: dict[str, Any], seen: frozenset[str]) -> tuple[frozenset, frozenset]:
    """The names (as `Depends`) and method names (as `x.Depends`) a call's function matches
    by ``rule``; an alternative that is neither adds none."""
    rule = _resolved(rule, utils, seen)
    if rule is None:
        return frozenset(), frozenset()
    if rule.keys() == {"any"} and isinstance(rule["any"], list):
        found = [_function_names(item, utils, seen) for item in rule["any"]]
        return frozenset().union(*(f[0] for f in found)), frozenset().union(*(f[1] for f in found))
    attribute = rule.get("has") if rule.keys() == {"has"} else None
    if isinstance(attribute, dict) and attribute.get("field") == "attribute":
        methods, _ = _function_names({key: value for key, value in attribute.items() if key != "field"}, utils, seen)
        return frozenset(), methods
    pattern = rule.get("pattern") if rule.keys() == {"pattern"} else None
    if isinstance(pattern, str) and _WORD.fullmatch(pattern.strip()) and not keyword.iskeyword(pattern.strip()):
        return frozenset({pattern.strip()}), frozenset()
    return frozenset(), frozenset()


def _resolved(rule: Any, utils: dict[str, Any], seen: frozenset[str]) -> Optional[dict[str, Any]]:
    """``rule``, or the util it only names (``{matches: name}``); None for what is not a mapping."""
    while isinstance(rule, dict) and rule.keys() == {"matches"} and rule["matches"] in utils and rule["matches"] not in seen:
        seen = seen | {rule["matches"]}
        rule = utils[rule["matches"]]
    return rule if isinstance(rule, dict) else None


# Simple statements that start with their keyword: the text of one runs from the keyword to
# the end of the statement.
_KEYWORD_STATEMENTS = {
    "raise_statement": "raise", "return_statement": "return", "assert_statement": "assert",
    "delete_statement": "del", "global_statement": "global", "nonlocal_statement": "nonlocal",
}


def statement_requirement(rule: dict[str, Any], derive_within: Callable[[Any], Requirement]) -> Optional[tuple]:
    """On a node that is a simple statement starting with its keyword (``kind:
    raise_statement``...): ``("stmt", (keyword, needs))``, where ``needs`` is what
    ``derive_within`` finds the node's own text needs. The prefilter then tests the text
    from each `raise` to the end of its statement: a module that names `ValueError` in an
    `except` clause and raises only `HTTPException` holds no `raise ValueError`. None for
    any other rule, and where the node needs nothing but its keyword."""
    conjuncts = [rule, *(sub for sub in rule.get("all") or () if isinstance(sub, dict))]
    keywords = [_KEYWORD_STATEMENTS[sub["kind"]] for sub in conjuncts if sub.get("kind") in _KEYWORD_STATEMENTS]
    if not keywords:
        return None
    needs = derive_within(rule)
    if needs is True or needs is False or needs == ("word", keywords[0]):
        return None
    return ("stmt", (keywords[0], needs))


def _function_requirement(rule: dict[str, Any], sub: dict[str, Any]) -> Optional[tuple]:
    """What ``sub``, a conjunct of the call ``rule``, says the call's function is: a method
    name or an imported name (directly, without ``stopBy``), or an ``any`` of those."""
    if _only_has(sub):
        has = sub["has"]
        inner = [has.get("has")] + [part["has"] for part in has.get("all") or () if _only_has(part)]
        if not (_direct(has) and all(_direct(part) for part in inner if isinstance(part, dict))):
            return None
        return called_requirement(rule, has) or method_requirement(rule, has)
    options = sub.get("any")
    if sub.keys() == {"any"} and isinstance(options, list) and options:
        found = [_function_requirement(rule, option) if isinstance(option, dict) else None for option in options]
        if all(found):
            return any_of(found)
    return None


def _direct(related: Any) -> bool:
    """Whether a relational rule looks at direct children only (ast-grep's default)."""
    return isinstance(related, dict) and related.get("stopBy", "neighbor") == "neighbor"


def _attribute_names(attribute: Any) -> Optional[list[str]]:
    """The names ``{field: attribute, pattern: name}`` or ``{field: attribute, any: [{pattern:
    name}, ...]}`` allows; None for anything else."""
    if not isinstance(attribute, dict) or attribute.get("field") != "attribute":
        return None
    if attribute.keys() == {"field", "pattern"}:
        options: Any = [{"pattern": attribute["pattern"]}]
    elif attribute.keys() == {"field", "any"}:
        options = attribute["any"]
    else:
        return None
    if not isinstance(options, list) or not options:
        return None
    names = [option.get("pattern") if isinstance(option, dict) and option.keys() == {"pattern"} else None for option in options]
    if all(isinstance(name, str) and _WORD.fullmatch(name.strip()) for name in names):
        return [name.strip() for name in names]
    return None


def _regex_requirement(regex: str) -> Requirement:
    """What a regex needs in the text: the words it starts with (``^on_(startup|shutdown)$``
    needs ``on_startup`` or ``on_shutdown``), or else the longest text every match holds
    (``^[+]$`` needs ``+``, ``^[rR]?['"]sqlite`` needs ``sqlite``); if none, nothing. The words are whole words when the regex
    anchors them at both ends (``^`` and a word boundary)."""
    words, rest = _leading_words(regex)
    if not words:
        literal = _longest_required_text(regex)
        return ("text", literal) if literal else True
    kind = "word" if regex.startswith("^") and _starts_with_boundary(rest) else "text"
    return any_of([(kind, word) for word in words])


def _longest_required_text(regex: str) -> Optional[str]:
    """The longest run of characters every match of ``regex`` holds, in a sequence of the
    regex that is not optional, repeated, an alternative, or read without case
    (``^[rR]?['"]sqlite`` holds ``sqlite``); None if there is none.

    ast-grep's regexes are Rust's: where Rust's syntax is not Python's (nested classes,
    class operations, ``\\p{..}``, flags Python lacks) the regex is not read at all."""
    if any(rust_only in regex for rust_only in ("[[", "&&", "--", "~~")):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. FutureWarning on what may become a nested class
            parsed = _sre_parse.parse(regex)
    except (re.error, RecursionError, OverflowError, ValueError):
        return None
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    runs: list[str] = []
    current: list[str] = []

    def read(items: Any) -> None:
        for op, value in items:
            if op is _sre.LITERAL:
                current.append(chr(value))
            elif op is _sre.SUBPATTERN and not value[1] and not value[2]:  # a group without flags
                read(value[3])
            else:  # anything else may match other characters, or none: the run ends
                runs.append("".join(current))
                current.clear()

    read(parsed)
    runs.append("".join(current))
    longest = max(runs, key=len)
    return longest or None


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


_COSTS = {
    "word": 0, "any_word": 0, "all_words": 0, "text": 1, "any": 2, "all": 2, "import": 3, "call": 4, "method": 4,
    "somewhere": 5, "import_time": 5,  # the regions' (a search of every top-level statement; a wrapper)
    "args": 6,  # a scan of each call's arguments
    "params": 6,  # a scan of each function's parameters
    "stmt": 6,  # a scan of each statement that starts with a keyword
}


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
    if kind == "method":  # `x.name(`: one of the names is a word
        return (value,)
    if kind == "args":  # the call's function is written; what its arguments need is in the rule's other parts
        return triggers(value[0])
    if kind in ("import", "call"):  # every use writes the name's last segment, every import its module's first
        firsts, lasts = zip(*map(first_and_last, value))
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


def _commonness(word: str) -> tuple[int, int, str]:
    # Keywords occur in nearly every file; among other words, longer ones tend to be rarer.
    return (word in _KEYWORDS, -len(word), word)


_KEYWORDS = frozenset(keyword.kwlist) | {"self", "cls", "print", "None", "True", "False"}
