"""Which lines a tight budget keeps: every failure's headline before any failure's detail.

The logs are real runs recorded beside them (``fixtures/logs/regenerate.sh``); what must
survive is found in the log's own text by plain string search, never by tokenls's patterns.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import truth
from tokenls.compress import compress
from tokenls.engine.counting import Counter

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
COUNTER = Counter("o200k_base")


def _compressed(name: str, budget: int) -> tuple[list[str], list[str]]:
    """The log's lines and the compressed output's lines, checked to be within budget."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    out = compress([text], budget, COUNTER).text
    assert truth(out, "o200k_base") <= budget
    return text.splitlines(), out.splitlines()


def test_the_newcomer_log_keeps_each_panic_message_and_assertion_at_600_tokens() -> None:
    # cargo test (an out-of-bounds index), then pytest and unittest (a wrong sum, a wrong
    # split) in one job: the lines saying what failed outlive every frame and diff line.
    lines, out = _compressed("newcomer.log", 600)
    messages = [lines[i + 1] for i, line in enumerate(lines) if " panicked at " in line]
    assertions = [
        line
        for line in lines
        if line.startswith("E ") and ("AssertionError" in line or line.split()[1:2] == ["assert"])
    ]
    assert "index out of bounds: the len is 0 but the index is 0" in messages
    assert "E       assert 1999 == 2000" in assertions
    for line in messages + assertions:
        assert line in out, line


def test_newcomer_output_lines_are_the_logs_own_lines() -> None:
    lines, out = _compressed("newcomer.log", 600)
    own = set(lines)
    assert [line for line in out if line not in own and not line.startswith("… ")] == []


def _go_failures() -> list[tuple[str, str]]:
    """(``--- FAIL`` line, first ``_test.go:NN:`` message) of each failed test, as
    ``go test -json`` reports its output."""
    output: dict[tuple[str, str], list[str]] = {}
    failed: list[tuple[str, str]] = []
    for raw in (FIXTURES / "go-report.json").read_text(encoding="utf-8").splitlines():
        event = json.loads(raw)
        key = (event.get("Package", ""), event.get("Test") or "")
        if event["Action"] == "output":
            output.setdefault(key, []).append(event["Output"].rstrip("\n"))
        elif event["Action"] == "fail" and event.get("Test"):
            failed.append(key)
    found = []
    for key in failed:
        said = output.get(key, [])
        head = next((t for t in said if t.lstrip().startswith("--- FAIL")), None)
        message = next((t for t in said if "_test.go:" in t), None)
        if head is not None and message is not None:
            found.append((head, message))
    return found


def test_every_go_failure_keeps_its_title_and_message_before_any_detail() -> None:
    failures = _go_failures()
    assert len(failures) >= 10
    text = (FIXTURES / "go-report.log").read_text(encoding="utf-8")
    needed = "".join(f"{head}\n{message}\n" for head, message in failures)
    budget = truth(needed, "o200k_base") + 12 * 2 * len(failures) + 100
    _lines, out = _compressed("go-report.log", budget)
    assert truth(text, "o200k_base") > 3 * budget
    for head, message in failures:
        assert head in out and message in out, head


def test_every_rspec_failure_keeps_its_title_and_what_was_expected() -> None:
    # RSpec's own JSON report of the run names each failed example and its message.
    report = json.loads((FIXTURES / "rspec.json").read_text(encoding="utf-8"))
    failed = [e for e in report["examples"] if e["status"] == "failed"]
    assert len(failed) == 3
    text = (FIXTURES / "rspec.log").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    needed: list[str] = []
    for number, example in enumerate(failed, 1):
        needed.append(f"{number}) {example['full_description']}")
        message = [m.strip() for m in example["exception"]["message"].splitlines() if m.strip()]
        needed += message[:2]
    assert all(line in lines for line in needed)
    budget = truth("".join(line + "\n" for line in needed), "o200k_base") + 12 * 3 * 3 + 100
    assert truth(text, "o200k_base") > 3 * budget
    _, out = _compressed("rspec.log", budget)
    kept = {line.strip() for line in out}
    assert [line for line in needed if line not in kept] == []


def test_a_jvm_exception_keeps_its_cause_and_the_projects_frame_under_it() -> None:
    lines = (FIXTURES / "java-cause.log").read_text(encoding="utf-8").splitlines()
    exception = next(line for line in lines if line.startswith("Exception in thread"))
    cause = lines.index(next(line for line in lines if line.startswith("Caused by:")))
    frame = next(
        line for line in lines[cause + 1 :] if line.startswith("\tat ") and "java.base/" not in line
    )
    needed = [exception, lines[cause], frame]
    budget = truth("".join(line + "\n" for line in needed), "o200k_base") + 3 * 12 + 60
    _, out = _compressed("java-cause.log", budget)
    assert [line for line in needed if line not in out] == []


def test_buildkite_timestamps_are_read_past_and_kept_in_the_output() -> None:
    # Buildkite's agent writes ``\x1b_bk;t=<milliseconds>\x07`` before every line (its
    # "Managing log output" docs): the same real job, framed so, keeps the same failures.
    lines = (FIXTURES / "newcomer.log").read_text(encoding="utf-8").splitlines()
    framed = [f"\x1b_bk;t={1744485852000 + i}\x07{line}" for i, line in enumerate(lines)]
    budget = 900
    out = compress(["".join(line + "\n" for line in framed)], budget, COUNTER).text
    assert truth(out, "o200k_base") <= budget
    kept = out.splitlines()
    panic = next(i for i, line in enumerate(lines) if " panicked at " in line)
    for i in (panic, panic + 1, lines.index("E       assert 1999 == 2000")):
        assert framed[i] in kept, lines[i]
