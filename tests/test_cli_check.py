from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import truth
from tokenls.cli.main import main


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "tokenls.toml").write_text("budget = 40\n")
    (tmp_path / "rules.md").write_text("Always write tests first. " * 3 + "\n")
    (tmp_path / "small.md").write_text("# Small\n\nshort prompt\n")
    (tmp_path / "big.md").write_text("# Big\n\n" + "many words in this prompt " * 40 + "\n")
    (tmp_path / "AGENTS.md").write_text("Read @rules.md before anything.\n")
    (tmp_path / "code.py").write_text("@decorator\ndef f(): return '{{x}}'\n")
    return tmp_path


def test_check_fails_over_budget_and_prints_locations(project: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(project)
    assert main(["check", "."]) == 1
    out = capsys.readouterr().out.splitlines()
    [line] = [row for row in out if row.startswith("big.md:")]
    total = truth((project / "big.md").read_text(), "o200k_base")
    assert f"error: {total:,} / 40 tokens" in line
    assert line.split(":")[1] != "1"  # the range starts where the budget is crossed
    assert not any(row.startswith("code.py") for row in out)  # not a prompt file


def test_check_passes_within_budget_and_on_explicit_files(project: Path, capsys) -> None:
    assert main(["check", str(project / "small.md")]) == 0
    assert main(["check", str(project / "nope.md")]) == 2


def test_check_json_and_github_formats(project: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(project)
    assert main(["check", "--format", "json", "."]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["over_budget"] == 1 and report["checked"] == 4
    assert {f["severity"] for f in report["findings"]} >= {"error"}
    assert main(["check", "--format", "github", "big.md"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("::error file=big.md,line=") and "title=tokenls budget::" in out


def test_count_resolves_references_unless_told_not_to(project: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(project)
    assert main(["count", "--json", "AGENTS.md"]) == 0
    [entry] = json.loads(capsys.readouterr().out)["files"]
    own = truth((project / "AGENTS.md").read_text(), "o200k_base")
    rules = truth((project / "rules.md").read_text(), "o200k_base")
    assert entry["own_tokens"] == own and entry["tokens"] == own + rules
    assert entry["references"][0]["status"] == "ok"
    assert main(["count", "--json", "--no-references", "AGENTS.md"]) == 0
    [plain] = json.loads(capsys.readouterr().out)["files"]
    assert plain["tokens"] == own and "references" not in plain


def test_count_refuses_references_outside_root(tmp_path: Path, capsys) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "secret.md").write_text("outside\n")
    (inner / "p.md").write_text("#file:../secret.md\n")
    assert main(["count", "--json", "--root", str(inner), str(inner / "p.md")]) == 0
    [entry] = json.loads(capsys.readouterr().out)["files"]
    assert entry["references"][0]["status"] == "error"
    assert "outside the workspace" in entry["references"][0]["error"]


def test_over_budget_lists_the_biggest_contributors(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "tokenls.toml").write_text("budget = 50\n")
    rules = "Always write tests first. " * 6 + "\n"
    (tmp_path / "rules.md").write_text(rules)
    examples = "## Examples\n\n" + "example text that goes on " * 10 + "\n\n"
    intro = "# Prompt\n\nshort intro\n\n"
    (tmp_path / "p.md").write_text(intro + examples + "## Rules\n\n#file:rules.md\n")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "p.md"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "  biggest contributors:"
    first, second = out[2].split(), out[3].split()
    assert first[:3] == [str(truth(examples, "o200k_base")), "##", "Examples"]
    assert second[:2] == [str(truth(rules, "o200k_base")), "rules.md"]
    assert main(["check", "--format", "json", "p.md"]) == 1
    [budget] = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] == "budget"]
    assert budget["contributors"][0] == {
        "kind": "section",
        "label": "## Examples",
        "line": 5,
        "tokens": truth(examples, "o200k_base"),
    }
    assert budget["contributors"][1]["kind"] == "reference"


def test_check_refuses_binary_files_named_on_the_command_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "logo.md").write_bytes(b"\x89PNG\x00\x00" * 20)
    assert main(["check", str(tmp_path / "logo.md")]) == 2
    assert "binary file, not a prompt" in capsys.readouterr().err
