"""The one error a rulebook can raise: a list of problems, each at file:line in a rule."""

from __future__ import annotations

from typing import NamedTuple


class Problem(NamedTuple):  # a named tuple: a frozen dataclass costs ~1 ms to create when flake8 starts
    file: str
    line: int  # 1-based; 0 when the problem has no line (an unreadable file)
    rule: str  # the rule's code or name; "" for problems outside any rule
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.rule}: {self.message}" if self.rule else f"{where}: {self.message}"


class RulebookError(Exception):
    """A rulebook that cannot be used. ``str()`` gives one line per problem."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
