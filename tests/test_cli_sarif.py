"""``check --format sarif`` against the SARIF 2.1.0 JSON schema (shipped in fixtures/sarif)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import unquote_to_bytes

import jsonschema
import pytest

from tests.conftest import truth
from tokenls.cli.main import main

SCHEMA = json.loads(
    (Path(__file__).parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text()
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "tokenls.toml").write_text("budget = 60\n")
    (tmp_path / "rules.md").write_text("Always write tests first. " * 8 + "\n")
    (tmp_path / "big.md").write_text(
        "# Big\n\nintro words\n\n## Examples\n\n"
        + "example text that goes on " * 12
        + "\n\n## Rules\n\n#file:rules.md\n\n#file:missing.md\n"
    )
    (tmp_path / "ok.md").write_text("---\nvariables: {}\n---\n# Fine\n\nshort {{ who }}\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _sarif(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["check", "--format", "sarif", *args])
    return code, json.loads(capsys.readouterr().out)


def test_sarif_is_valid_against_the_2_1_0_schema(project: Path, capsys) -> None:
    code, log = _sarif(capsys, ".")
    assert code == 1
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    assert log["version"] == "2.1.0" and log["properties"]["schema_version"] == 1


def test_sarif_results_carry_rules_levels_regions_and_contributors(project: Path, capsys) -> None:
    _code, log = _sarif(capsys, ".")
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    by_id = {rule["id"]: rule for rule in rules}
    assert {"budget", "reference", "unbound-variable"} <= set(by_id)
    assert all(rule["help"]["text"] and rule["shortDescription"]["text"] for rule in rules)
    results = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r
        for r in run["results"]
    }
    budget = results[("budget", "big.md")]
    assert budget["level"] == "error"
    assert rules[budget["ruleIndex"]]["id"] == "budget"
    region = budget["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] > 1 and region["endLine"] >= region["startLine"]
    assert "Biggest contributors" in budget["message"]["text"]
    related = [r["message"]["text"] for r in budget["relatedLocations"]]
    rules_tokens = truth((project / "rules.md").read_text(), "o200k_base")
    assert f"rules.md: {rules_tokens:,} tokens" in related
    assert any(text.startswith("## Examples:") for text in related)
    missing = results[("reference", "big.md")]
    assert missing["level"] == "warning" and "missing.md" in missing["message"]["text"]
    line = (project / "big.md").read_text().splitlines().index("#file:missing.md") + 1
    assert missing["locations"][0]["physicalLocation"]["region"]["startLine"] == line
    assert results[("unbound-variable", "ok.md")]["level"] == "note"
    assert run["columnKind"] == "unicodeCodePoints"


def test_fingerprints_are_stable_across_edits(project: Path, capsys) -> None:
    def fingerprints() -> dict[str, str]:
        _code, log = _sarif(capsys, ".")
        return {
            r["ruleId"]: r["fingerprints"]["tokenls/v1"]
            for r in log["runs"][0]["results"]
            if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "big.md"
        }

    before = fingerprints()
    big = project / "big.md"
    big.write_text(
        "# Big\n\nnew intro, longer than before\n\n"
        + big.read_text().split("\n", 3)[3]
        + "more words " * 30
    )
    after = fingerprints()
    assert before == after and len(set(before.values())) == len(before)


def test_sarif_errors_are_a_failed_run(project: Path, capsys) -> None:
    code, log = _sarif(capsys, "nope.md")
    assert code == 2
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    [invocation] = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert "nope.md" in invocation["toolExecutionNotifications"][0]["message"]["text"]


# RFC 3986: a relative reference's path is unreserved characters, percent-encodings,
# sub-delims, ":", "@" and "/".
_URI_PATH = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*$")


def test_sarif_is_written_for_any_file_name(tmp_path: Path, monkeypatch, capsys) -> None:
    names = [
        "new\nline.md",
        os.fsdecode(b"bad\xff\xfe.md"),
        "50%,of:all.md",
        "hash#query?.md",
        "a\x1b[31mred.md",
        "spaced out é.md",
    ]
    (tmp_path / "tokenls.toml").write_text("budget = 5\n")
    for name in names:
        (tmp_path / name).write_text("a prompt that is well over five tokens long\n")
    os.mkfifo(tmp_path / "pipe\n.md")  # skipped, and said so in the log
    monkeypatch.chdir(tmp_path)
    code, log = _sarif(capsys, ".")
    assert code == 1
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    [run] = log["runs"]
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    ]
    assert all(_URI_PATH.match(uri) for uri in uris), uris
    assert sorted(unquote_to_bytes(uri) for uri in uris) == sorted(os.fsencode(n) for n in names)
    [invocation] = run["invocations"]
    [skipped] = invocation["toolExecutionNotifications"]
    assert invocation["executionSuccessful"] is True and skipped["level"] == "warning"
    assert skipped["message"]["text"] == 'skipped "pipe\\n.md": a FIFO, not a regular file'
    where = skipped["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert where == "pipe%0A.md"
    # Written to a file, the same log, as UTF-8.
    assert main(["check", "--format", "sarif", "-o", "out.sarif", "."]) == 1
    assert json.loads((tmp_path / "out.sarif").read_bytes().decode("utf-8")) == log
