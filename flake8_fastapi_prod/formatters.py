"""flake8 report formats for CI: ``--format=sarif`` (SARIF 2.1.0) and ``--format=github``.

Both report every code flake8 selected, not only this pack's: they replace flake8's
default report. Columns: flake8's are 1-based and counted in characters (code points),
which SARIF states with ``columnKind: unicodeCodePoints``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flake8.formatting.base import BaseFormatter
from flake8.violation import Violation

from flake8_fastapi_prod import __version__

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/flake8-fastapi-prod/"


class SarifFormatter(BaseFormatter):
    """One SARIF log for the whole run, written when flake8 stops."""

    def after_init(self) -> None:
        self.results: list[dict[str, Any]] = []
        self.rules: dict[str, dict[str, Any]] = {}

    def handle(self, error: Violation) -> None:
        self.results.append(_sarif_result(error))
        self.rules.setdefault(error.code, _sarif_rule(error))

    def format(self, error: Violation) -> str | None:
        return None  # everything is written at once in stop()

    def stop(self) -> None:
        log = {
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "flake8",
                    "informationUri": INFORMATION_URI,
                    "semanticVersion": __version__,
                    "rules": [self.rules[code] for code in sorted(self.rules)],
                }},
                "columnKind": "unicodeCodePoints",
                "results": self.results,
            }],
        }
        self.write(json.dumps(log, indent=2, ensure_ascii=False), None)
        super().stop()

    def show_statistics(self, statistics: Any) -> None:
        pass  # statistics would break the JSON document

    def show_benchmarks(self, benchmarks: Any) -> None:
        pass

    def show_source(self, error: Violation) -> str | None:
        return None


def _sarif_result(error: Violation) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(error.line_number, 1)}
    if error.column_number:
        region["startColumn"] = error.column_number
    return {
        "ruleId": error.code,
        "level": "error" if error.code.startswith("E9") else "warning",
        "message": {"text": error.text},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": _uri(error.filename)},
            "region": region,
        }}],
    }


def _sarif_rule(error: Violation) -> dict[str, Any]:
    rule: dict[str, Any] = {"id": error.code, "shortDescription": {"text": error.text}}
    if error.code.startswith("FAP"):
        rule["helpUri"] = f"{INFORMATION_URI}#{error.code.lower()}"
    return rule


def _uri(filename: str) -> str:
    path = Path(filename)
    return path.as_posix()[2:] if path.as_posix().startswith("./") else path.as_posix()


class GitHubFormatter(BaseFormatter):
    """GitHub Actions workflow commands: each finding becomes an annotation on the line."""

    def format(self, error: Violation) -> str | None:
        properties = {
            "file": _uri(error.filename),
            "line": str(error.line_number),
            "col": str(error.column_number),
            "title": error.code,
        }
        props = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
        return f"::warning {props}::{_escape_data(f'{error.code} {error.text}')}"

    def show_source(self, error: Violation) -> str | None:
        return None


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
