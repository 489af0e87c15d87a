"""`--format=sarif` and `--format=github`, registered with flake8."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from conftest import EXAMPLE_APP, ROOT, reported, run_flake8

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def test_sarif_output_is_valid_sarif_with_every_finding(tmp_path):
    weird = tmp_path / "naïve, file.py"
    weird.write_text("import time\n\n\nasync def f():\n    x = '€'; time.sleep(1)\n")
    targets = [str(EXAMPLE_APP), str(weird)]
    plain = run_flake8("--select", "FAP,E999", *targets, cwd=ROOT)
    sarif = run_flake8("--select", "FAP,E999", "--format=sarif", *targets, cwd=ROOT)
    assert sarif.returncode == plain.returncode == 1
    log = json.loads(sarif.stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    run = log["runs"][0]
    found = {
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         r["locations"][0]["physicalLocation"]["region"]["startLine"],
         r["locations"][0]["physicalLocation"]["region"]["startColumn"], r["ruleId"])
        for r in run["results"]
    }
    assert found == {(Path(p).as_posix(), line, col, code) for p, line, col, code in reported(plain.stdout)}
    assert {rule["id"] for rule in run["tool"]["driver"]["rules"]} == {code for *_, code in found}
    assert (weird.as_posix(), 5, 14, "FAP202") in found


def test_sarif_with_no_findings_is_valid(tmp_path):
    (tmp_path / "ok.py").write_text("x = 1\n")
    result = run_flake8("--format=sarif", "ok.py", cwd=tmp_path)
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    assert log["runs"][0]["results"] == []


def test_github_annotations(tmp_path):
    path = tmp_path / "app, v2.py"
    path.write_text("import time\n\n\nasync def f():\n    time.sleep(1)\n")
    result = run_flake8("--select", "FAP", "--format=github", "app, v2.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.decode().splitlines() == [
        "::warning file=app%2C v2.py,line=5,col=5,title=FAP202::FAP202 time.sleep() inside async def blocks the "
        "event loop; use await asyncio.sleep()"
    ]
