"""The reach of a rule: which top-level statements of a file a match of the rule needs.

Most files that a rule may apply to, judged from their words, hold no finding; in a large
module the rule's words sit in a few of its statements. So each rule yields its reach,
derived from the rule: a requirement on the words of the top-level statement that holds a
match (the match and what the rule tests inside and around it are in that statement), and
the requirements of the statements a module-wide search can find (`inside: {kind: module,
has: ...}`: the statement that imports fastapi, the one that registers an exception
handler). :mod:`flake8_fastapi_prod.regions` blanks the lines of every other top-level
statement before tree-sitter parses the file: the statements left keep their lines and
columns, and every node in them keeps its ancestors, its descendants, its siblings and what
a module-wide search finds, so each rule finds the same matches.

The statement of a match needs, besides its own words, that each module-wide search the
rule makes finds a statement somewhere in the file (``("somewhere", requirement)``): judged
per alternative of the rule, this is sharper than the file's prefilter, which judges the
words of the whole file (FAP106's session-factory alternative needs a `sessionmaker` call
somewhere, and its other alternatives their own calls at import time).

A rule whose matches run at import time (its node is inside the module with no function in
between, and cannot hold a function itself) needs its words outside the functions of the
file: the engine's rules for engines and clients made at import time skip modules that
create them only inside functions, which is most of application code.

A rule whose result can depend on statements it cannot name has no reach, and a file any
such rule runs on is parsed whole: a test of the module's own text or pattern, the top-level
statement right before or after another (`precedes`/`follows` without `stopBy: end`), a
top-level statement's position (`nthChild`), or a key this module does not know.
"""


from __future__ import annotations

from typing import Any, Callable, Optional

from flake8_fastapi_prod.prefilter import Requirement
from flake8_fastapi_prod.regions import IMPORT_TIME, SOMEWHERE, Reach
from flake8_fastapi_prod.requirements import (
    all_of, any_of, arguments_requirement, has_requirement, own_requirements, requirement, span_requirements,
)
from flake8_fastapi_prod.shorthand import IMPORTED

# Where a node of the rule can be: the module itself; in a top-level statement (the
# statement or below it); strictly below one (never a child of the module, so its siblings
# are in the same statement); or not known to be either of the first two.
_MODULE, _STATEMENT, _BELOW, _EITHER = "module", "statement", "below", "either"
_KNOWN_KEYS = frozenset({
    "pattern", "kind", "regex", "nthChild", "range", "inside", "has", "precedes", "follows",
    "all", "any", "not", "matches", "stopBy", "field", IMPORTED,
})


class _Unbounded(Exception):
    """The rule can see more of the file than the statements this module can name."""


def reach(rule: Any, utils: dict[str, Any], constraints: dict[str, Any]) -> Reach:
    """The reach of a rule (with its utils and constraints), or None if it has none."""
    walker = _Walker(utils)
    try:
        statement = walker.at(rule, _EITHER)
        for constraint in constraints.values():  # tested on captured nodes, which sit in statements
            walker.at(constraint, _STATEMENT)
    except _Unbounded:
        return None
    where = walker.placed(rule, _EITHER) if isinstance(rule, dict) else _EITHER
    if where == _MODULE:
        statement = False  # only the module matches: no statement holds a match
    elif walker.at_import_time_only(rule):
        statement = (IMPORT_TIME, statement)
    return statement, tuple(dict.fromkeys(walker.contexts)), where in (_MODULE, _EITHER)


def never_module(rule: Any, utils: dict[str, Any]) -> bool:
    """Whether no node matching ``rule`` can be the module itself."""
    return _Walker(utils)._never_module(rule)


class _Walker:
    """Walks a rule, recording where each part tests nodes and what their statements need."""

    def __init__(self, utils: dict[str, Any]) -> None:
        self.utils = utils
        self.contexts: list[Requirement] = []  # statements that module-wide searches may find
        # Each util's requirement, by where it is tested and which utils were being derived
        # when it was: a util that refers to itself is taken to match nothing through that
        # reference (see _util), so what it needs depends on the derivations in progress.
        self._utils_seen: dict[tuple[str, str, frozenset], Requirement] = {}
        self._in_progress: frozenset[tuple[str, str]] = frozenset()

    def at(self, rule: Any, where: str) -> Requirement:
        """What the top-level statement of a node at ``where`` needs for ``rule`` to match it
        (True when the node may be the module: then nothing is known of any statement)."""
        if not isinstance(rule, dict):
            return True
        if where == _MODULE and self._never_module(rule):
            return True  # it never tests the module: nothing to look at there
        where = self.placed(rule, where)
        if where == _EITHER:  # the rule is sound on the module and on a statement alike
            self._tests(rule, _MODULE)
            return self._tests(rule, _STATEMENT)
        return self._tests(rule, where)

    def placed(self, rule: dict, where: str) -> str:
        """``where`` narrowed by what the rule says of the node itself."""
        if where == _MODULE:
            return where
        kinds = self._kinds(rule, frozenset())
        if where == _EITHER:
            if kinds == {"module"}:
                return _MODULE
            if (kinds is not None and "module" not in kinds) or self._never_module(rule):
                where = _STATEMENT
        if where == _STATEMENT and (
            (kinds is not None and not any(map(_may_be_top_level, kinds))) or self._below_some_node(rule)
        ):
            return _BELOW
        return where

    def _tests(self, rule: dict, where: str) -> Requirement:
        unknown = rule.keys() - _KNOWN_KEYS
        if unknown:
            raise _Unbounded(f"unknown keys {sorted(unknown)}")
        parts: list[Requirement] = []
        if where == _MODULE:
            # The module's text and shape change when statements are blanked.
            if any(key in rule for key in ("pattern", "regex", IMPORTED, "nthChild", "range")):
                raise _Unbounded("a test of the module's text")
        else:
            parts += own_requirements(rule)
            if "nthChild" in rule:
                self._nth_child(rule["nthChild"], where)
            args = arguments_requirement(
                rule, lambda has: self.at(has, _BELOW), lambda has: requirement(has, self.utils, in_code=True))
            if args is not None:
                parts.append(args)
            parts += span_requirements(rule, lambda node: requirement(node, self.utils, within=True), self.utils)
        for key in ("has", "inside", "precedes", "follows"):
            if key in rule:
                parts.append(self._related(rule, key, rule[key], where))
        parts += [self._of_this_node(rule, sub, where) for sub in rule.get("all") or ()]
        if isinstance(rule.get("any"), list):
            parts.append(any_of([self._of_this_node(rule, sub, where) for sub in rule["any"]]))
        if "not" in rule:
            self.at(rule["not"], where)  # sound or not, its words need not occur
        if isinstance(rule.get("matches"), str):
            parts.append(self._util(rule["matches"], where))
        return all_of(parts)  # on the module: what its module-wide searches need somewhere

    def _of_this_node(self, rule: dict, sub: Any, where: str) -> Requirement:
        """What ``sub``, a conjunct or an alternative of ``rule``, needs: a `has` alone tests
        this same node, so what it says of a call's function counts as in ``rule``'s own."""
        if isinstance(sub, dict) and sub.keys() == {"has"} and where != _MODULE:
            return has_requirement(rule, sub["has"], lambda has: self._related(sub, "has", has, where))
        return self.at(sub, where)

    def _related(self, rule: dict, key: str, related: Any, where: str) -> Requirement:
        if not isinstance(related, dict):
            return True
        stop_by = related.get("stopBy")
        if key == "has":
            if where == _MODULE:
                # A module-wide search: every statement where it could find its node is kept,
                # and one of them must be in the file for the search to find anything.
                context = self.at(related, _STATEMENT)
                self.contexts.append(context)
                self._stop_by(stop_by, _STATEMENT)
                return (SOMEWHERE, context) if context is not True else True
            self._stop_by(stop_by, _BELOW)
            return has_requirement(rule, related, lambda has: self.at(has, _BELOW))
        if key == "inside":
            if where == _MODULE:
                return True  # the module has no ancestors: never matches, whatever the file
            self._stop_by(stop_by, _EITHER)
            placed = self.placed(related, _EITHER)
            found = self.at(related, _EITHER)
            return found if placed != _EITHER else True  # in the module: what it needs somewhere
        # precedes / follows: siblings
        if where == _MODULE:
            return True  # the module has no siblings
        if where == _BELOW:
            self._stop_by(stop_by, _BELOW)
            return self.at(related, _BELOW)
        if stop_by != "end":
            raise _Unbounded("a top-level statement's neighbour")
        # Any sibling: for a top-level statement, any other one that could match is kept.
        self.contexts.append(self.at(related, _STATEMENT))
        return True

    def _stop_by(self, stop_by: Any, where: str) -> None:
        if isinstance(stop_by, dict):
            self.at(stop_by, where)

    def _nth_child(self, nth: Any, where: str) -> None:
        if where != _BELOW:
            raise _Unbounded("the position of a top-level statement")
        if isinstance(nth, dict) and isinstance(nth.get("ofRule"), dict):
            self.at(nth["ofRule"], _BELOW)

    def _util(self, name: str, where: str) -> Requirement:
        util = self.utils.get(name)
        if util is None:
            return True
        key = (name, where)
        if key in self._in_progress:
            # A util that refers to itself matches through that reference only if a node
            # further along the chain (below, or above for `inside`; trees are finite)
            # matches it without one, in the same statement (a node placed where the module
            # may be needs nothing of it): that node's words are what the outer derivation
            # goes on to need.
            return False
        memo = (name, where, self._in_progress)
        if memo not in self._utils_seen:
            outer, self._in_progress = self._in_progress, self._in_progress | {key}
            try:
                self._utils_seen[memo] = self.at(util, where)
            finally:
                self._in_progress = outer
        return self._utils_seen[memo]

    def _kinds(self, rule: Any, seen: frozenset[str]) -> Optional[set[str]]:
        """The kinds a node matching ``rule`` can have; None if any."""
        if not isinstance(rule, dict):
            return None
        found = {rule["kind"]} if isinstance(rule.get("kind"), str) else None
        for sub in rule.get("all") or ():
            found = _narrowed(found, self._kinds(sub, seen))
        if isinstance(rule.get("any"), list) and rule["any"]:
            options = [self._kinds(sub, seen) for sub in rule["any"]]
            if all(option is not None for option in options):
                found = _narrowed(found, set().union(*options))
        name = rule.get("matches")
        if isinstance(name, str) and name not in seen:
            found = _narrowed(found, self._kinds(self.utils.get(name), seen | {name}))
        return found

    def at_import_time_only(self, rule: Any) -> bool:
        """Whether every match of ``rule`` is outside function bodies, and so is all it tests
        below its node: the rule says its node is inside the module with no function in
        between (``inside: {kind: module, stopBy: {kind: function_definition}}``, or an
        ``any`` that holds that kind), and its node is of kinds that cannot hold a function.
        Then the words a match needs must occur outside the bodies of the file's functions."""
        kinds = self._kinds(rule, frozenset())
        if kinds is None or kinds & _MAY_HOLD_A_FUNCTION:
            return False
        return self._said_of_node(rule, _confined_to_import_time)

    def _never_module(self, rule: Any) -> bool:
        """Whether ``rule`` cannot match the module: it names another kind, a parent or a
        sibling, a field, an imported name, or a pattern that is more than a metavariable."""
        return self._said_of_node(rule, _excludes_the_module)

    def _below_some_node(self, rule: Any) -> bool:
        """Whether ``rule`` says its node is inside a node that is not the module: then it
        is not a top-level statement either."""
        return self._said_of_node(rule, lambda own: isinstance(own.get("inside"), dict) and self._never_module(own["inside"]))

    def _said_of_node(self, rule: Any, says: Callable[[dict], bool], seen: frozenset[str] = frozenset()) -> bool:
        """Whether ``says`` holds of ``rule``'s own keys, of one of its `all` conjuncts, of
        every branch of its `any`, or of the util it `matches`."""
        if not isinstance(rule, dict):
            return False
        if says(rule) or any(self._said_of_node(sub, says, seen) for sub in rule.get("all") or ()):
            return True
        options = rule.get("any")
        if isinstance(options, list) and options and all(self._said_of_node(sub, says, seen) for sub in options):
            return True
        name = rule.get("matches")
        return isinstance(name, str) and name not in seen and self._said_of_node(self.utils.get(name), says, seen | {name})


def _excludes_the_module(rule: dict) -> bool:
    pattern = rule.get("pattern")
    if isinstance(pattern, str) and not pattern.strip().startswith("$"):
        return True
    if any(key in rule for key in ("inside", "precedes", "follows", IMPORTED)):
        return True
    if isinstance(rule.get("kind"), str) and rule["kind"] != "module":
        return True
    return isinstance(rule.get("has"), dict) and "field" in rule["has"]  # the module has no fields


# The kinds of tree-sitter-python nodes that can hold a function definition.
_MAY_HOLD_A_FUNCTION = frozenset({
    "module", "block", "function_definition", "decorated_definition", "class_definition",
    "if_statement", "elif_clause", "else_clause", "for_statement", "while_statement", "try_statement",
    "except_clause", "except_group_clause", "finally_clause", "with_statement", "match_statement",
    "case_clause", "ERROR",
})


def _confined_to_import_time(rule: dict) -> bool:
    inside = rule.get("inside")
    if not isinstance(inside, dict) or inside.get("kind") != "module" or inside.keys() - {"kind", "stopBy"}:
        return False
    stop_by = inside.get("stopBy")
    if isinstance(stop_by, dict) and stop_by.keys() == {"any"} and isinstance(stop_by["any"], list):
        return {"kind": "function_definition"} in stop_by["any"]
    return stop_by == {"kind": "function_definition"}


def _narrowed(found: Optional[set[str]], kinds: Optional[set[str]]) -> Optional[set[str]]:
    if kinds is None:
        return found
    return set(kinds) if found is None else found & kinds


def _may_be_top_level(kind: str) -> bool:
    # The module's children in tree-sitter-python: statements, definitions, comments.
    return kind.endswith(("_statement", "_definition")) or kind in ("comment", "line_continuation", "ERROR")
