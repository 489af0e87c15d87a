"""A per-user cache of effective rulebooks, so that a flake8 process skips reading and checking YAML.

Editors start flake8 on every save, and reading, validating and compile-checking the
rulebooks (and running a team's examples) is most of the plugin's start-up: ~100 ms for
the default rulebook, more with team rulebooks. A rulebook that loaded without errors is
stored under a key made of everything that can change it: the rulebook files' paths and
bytes, the settings, the Python version, and this package's and ast-grep-py's code. A
rulebook with errors is never stored, so its errors are reported on every run.

The data is written with :mod:`marshal`, which stores plain values only (nothing in it is
run). A rule's fields that a flake8 run reads only for the files that reach the rule's
search stay marshalled bytes until then (:meth:`Rule.deferred`). A cache that cannot be read
or written is ignored: the rulebook is loaded as usual.
``FLAKE8_FASTAPI_PROD_CACHE_DIR`` sets the directory; set to an empty value, it turns the
cache off.
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import sys
import tempfile
import zlib
from functools import partial
from pathlib import Path
from typing import Any, Optional

from flake8_fastapi_prod import __version__
from flake8_fastapi_prod.model import DEFERRED_FIELDS, Examples, Rule, Rulebook

ENVIRONMENT_VARIABLE = "FLAKE8_FASTAPI_PROD_CACHE_DIR"
_FORMAT = 7  # bump when the stored layout changes
# Entries kept: every upgrade, and every other set of team rulebooks or settings, writes one
# (~300 KB), and an entry whose code or files changed is never read again.
_KEPT_ENTRIES = 16


def cache_dir() -> Optional[Path]:
    """Where rulebooks are cached: $FLAKE8_FASTAPI_PROD_CACHE_DIR, else the user's cache directory."""
    configured = os.environ.get(ENVIRONMENT_VARIABLE)
    if configured is not None:
        return Path(configured) if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "flake8-fastapi-prod"


def load(paths: list[Path], settings: dict[str, str]) -> Optional[Rulebook]:
    """The rulebook stored for these files and settings, or None."""
    where = _entry(paths, settings)
    if where is None:
        return None
    entry, identity = where
    try:
        stored_identity, data = marshal.loads(entry.read_bytes())
        if stored_identity != identity:  # another rulebook whose name collides: load as usual
            return None
        return _rulebook_from_data(data)
    except Exception:  # missing, truncated or from another layout: load the rulebook again
        return None


def store(paths: list[Path], settings: dict[str, str], rulebook: Rulebook) -> None:
    """Keep ``rulebook`` for the next process; any failure to write is ignored."""
    where = _entry(paths, settings)
    if where is None:
        return
    entry, identity = where
    try:
        data = marshal.dumps((identity, _data_from_rulebook(rulebook)))
        entry.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed, so that a process reading at the same time sees the
        # whole file or none of it.
        handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, entry)
    except (OSError, ValueError):
        return
    _prune(entry.parent, entry)


def _prune(directory: Path, kept: Path) -> None:
    """Remove the entries written before the last :data:`_KEPT_ENTRIES` (``kept`` stays).
    Only when an entry is stored: a flake8 process that reads one does no more work."""
    try:
        with os.scandir(directory) as found:
            entries = sorted(
                ((entry.stat().st_mtime_ns, entry.path) for entry in found
                 if entry.name.startswith("rulebook-") and entry.name.endswith(".marshal")),
                reverse=True,
            )
        for _, path in entries[_KEPT_ENTRIES:]:
            if path != str(kept):
                os.remove(path)
    except OSError:  # another process pruning at the same time, or a read-only directory
        return


def _entry(paths: list[Path], settings: dict[str, str]) -> Optional[tuple[Path, bytes]]:
    """The cache file for these rulebooks and settings, and the identity it must store.

    The identity holds the rulebooks' bytes themselves: comparing them is cheaper than a
    cryptographic hash (hashlib alone would add ~3.6 MB to every flake8 process)."""
    directory = cache_dir()
    if directory is None:
        return None
    parts = [part.encode() for part in _code_stamps()]
    try:
        for path in paths:
            parts += [str(path.resolve()).encode(), path.read_bytes()]
    except OSError:  # an unreadable rulebook: the loader reports it
        return None
    parts.append(repr(sorted(settings.items())).encode())
    identity = b"".join(len(part).to_bytes(8, "little") + part for part in parts)  # unambiguous
    return directory / f"rulebook-{zlib.crc32(identity):08x}-{len(identity)}.marshal", identity


def _code_stamps() -> list[str]:
    # The code that reads rulebooks and the ast-grep that checks them decide what loading
    # produces; their files' sizes and times change with any upgrade or edit.
    stamps = [f"format {_FORMAT}", __version__, sys.version]
    stamps += _file_stamps(os.path.dirname(os.path.realpath(__file__)), ".py")
    ast_grep = _ast_grep_directory()
    stamps += _file_stamps(ast_grep, ".so") if ast_grep is not None else ["no ast-grep-py"]
    return stamps


def _ast_grep_directory() -> Optional[str]:
    """Where ast-grep-py is installed, found without importing it: the engine imports it
    when a file is first parsed, and a flake8 process that parses none does not pay for it."""
    spec = importlib.util.find_spec("ast_grep_py")
    locations = spec.submodule_search_locations if spec is not None else None
    return os.path.realpath(locations[0]) if locations else None


def _file_stamps(directory: str, suffix: str) -> list[str]:
    """Name, size and time of the files in ``directory`` ending with ``suffix``, by name.
    (os.scandir, not Path.glob: a glob compiles a regular expression in every process.)"""
    with os.scandir(directory) as entries:
        found = sorted((entry.name, entry.stat()) for entry in entries if entry.name.endswith(suffix))
    return [f"{name} {status.st_size} {status.st_mtime_ns}" for name, status in found]


def _data_from_rulebook(rulebook: Rulebook) -> dict[str, Any]:
    return {
        "rules": [_rule_data(rule) for rule in rulebook.rules],
        "files": list(rulebook.files),
        "settings": _plain(rulebook.settings),
        "turned_off": list(rulebook.turned_off),
    }


def _rule_data(rule: Rule) -> dict[str, Any]:
    data = {name: _plain(getattr(rule, name)) for name in Rule.PER_FILE_FIELDS}
    deferred = {name: _plain(getattr(rule, name)) for name in DEFERRED_FIELDS if name != "examples"}
    deferred["examples"] = _plain({name: getattr(rule.examples, name) for name in Examples.FIELDS})
    data["deferred"] = marshal.dumps(deferred)
    return data


def _rulebook_from_data(data: dict[str, Any]) -> Rulebook:
    rules = [Rule.deferred(fields, partial(_deferred_fields, fields.pop("deferred"))) for fields in data["rules"]]
    return Rulebook(rules=rules, files=data["files"], settings=data["settings"], turned_off=data["turned_off"])


def _deferred_fields(stored: bytes) -> dict[str, Any]:
    fields = marshal.loads(stored)
    examples = fields["examples"]
    fields["examples"] = Examples(
        invalid=examples["invalid"], valid=examples["valid"], fixes=[tuple(pair) for pair in examples["fixes"]],
    )
    return fields


def _plain(value: Any) -> Any:
    """``value`` with the loader's dict subclasses (which keep line numbers) made plain dicts."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    return value
