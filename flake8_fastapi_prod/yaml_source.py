"""Read YAML rulebooks safely, keeping line numbers and refusing duplicate keys.

PyYAML's ``safe_load`` silently keeps the last of two duplicate keys and forgets where
anything was written. Rulebook errors must name ``file:line``, so mappings are built as
:class:`LineDict`, which remembers the line of the mapping and of each key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from flake8_fastapi_prod.errors import Problem, RulebookError

# The C loader is ~10x faster; both construct only plain data (no Python objects).
_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A document with more nodes than this is refused: aliases can expand a small file
# into billions of nodes ("billion laughs").
MAX_NODES = 200_000


class LineDict(dict):
    """A mapping that remembers where it and each of its keys were written (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _DuplicateKey(Exception):
    def __init__(self, key: object, line: int, first_line: int) -> None:
        super().__init__(key)
        self.key, self.line, self.first_line = key, line, first_line


class _TooLarge(Exception):
    pass


class _RulebookLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    pass


def _construct_mapping(loader: _RulebookLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            key = str(key)
        if key in mapping:
            raise _DuplicateKey(key, line, mapping.key_lines.get(str(key), mapping.line))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = line
    return mapping


_RulebookLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def expanded_size(data: Any, limit: int = MAX_NODES) -> int:
    """How many nodes ``data`` has once aliases are expanded, counting no further than ``limit``.

    PyYAML shares an aliased object instead of copying it, so loading is cheap, but every
    walk over the rule (validation, expansion) would visit each copy.
    """
    count, stack = 0, [data]
    while stack and count <= limit:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def load_yaml(path: Path) -> Any:
    """Parse one YAML file into plain data, or raise :class:`RulebookError` naming the line."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RulebookError([Problem(str(path), 0, "", f"cannot read the rulebook: {error.strerror or error}")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RulebookError([Problem(str(path), 0, "", f"the rulebook is not UTF-8 text ({error.reason})")])
    loader = _RulebookLoader(text)
    try:
        data = loader.get_single_data()
        if expanded_size(data) > MAX_NODES:
            raise _TooLarge()
        return data
    except _DuplicateKey as dup:
        problem = f"duplicate key {dup.key!r} (first written on line {dup.first_line}); YAML would keep only the last"
        raise RulebookError([Problem(str(path), dup.line, "", problem)])
    except _TooLarge:
        raise RulebookError([Problem(str(path), 0, "", f"the document expands to more than {MAX_NODES} nodes (aliases?)")])
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        raise RulebookError([Problem(str(path), line, "", f"invalid YAML: the character {chr(error.character)!r} "
                                                         "is not allowed in a YAML document")])
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        what = " ".join(part for part in (error.context, error.problem) if part)
        if error.problem and "could not determine a constructor" in error.problem:
            what = "a tag that would construct a Python object is not allowed in a rulebook"
        raise RulebookError([Problem(str(path), line, "", f"invalid YAML: {what}")])
    except yaml.YAMLError as error:
        raise RulebookError([Problem(str(path), 0, "", f"invalid YAML: {error}")])
    except RecursionError:
        raise RulebookError([Problem(str(path), 0, "", "the document is nested too deeply")])
    finally:
        loader.dispose()
