"""Distinct failures in real logs, held to each tool's own summary line."""

from __future__ import annotations

import json
import re

import pytest

from tests.logs import FIXTURES
from tokenls.cli.main import main
from tokenls.compress.failures import Tally, count_failures

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z ")
# How each tool states its own count; a log's expected count is the sum over its matching
# lines (cargo prints one "test result" line per test binary).
SUMMARIES = {
    "pytest-fail.log": (r"=+ (\d+) failed(?:, (\d+) errors?)?", "tests"),
    "unittest.log": (r"^FAILED \(failures=(\d+), errors=(\d+)\)$", "both"),
    "cargo-fail.log": (r"^test result: FAILED\. \d+ passed; (\d+) failed", "tests"),
    "jest-fail.log": (r"^Tests:\s+(\d+) failed", "tests"),
    "jest-workspace.log": (r"^Tests:\s+(\d+) failed", "tests"),
    "maven-fail.log": (r"^\[ERROR\] Tests run: \d+, Failures: (\d+), Errors: (\d+), Skipped: \d+$", "both"),
    "tsc.log": (r"^Found (\d+) errors?", "errors"),
    "javac.log": (r"^(\d+) errors?$", "errors"),
    "corpus/python-take.log": (r"=+ (\d+) failed", "tests"),
    "corpus/pytest-jmespath-s5.gha.log": (r"=+ (\d+) failed", "tests"),
    "corpus/unittest-jmespath-s2.log": (r"^FAILED \((?:failures=(\d+))?(?:, )?(?:errors=(\d+))?\)$", "both"),
    "corpus/rust-index.gha.log": (r"^test result: FAILED\. \d+ passed; (\d+) failed", "tests"),
    "corpus/vitest-cart-s6.gha.log": (r"^\s*Tests\s+(\d+) failed", "tests"),
    "corpus/maven-orders-s2.log": (r"^\[INFO\] (\d+) errors?\s*$", "errors"),
}  # fmt: skip


def _stated(name: str) -> int:
    pattern, _ = SUMMARIES[name]
    text = (FIXTURES / name).read_text(errors="replace")
    lines = [_STAMP.sub("", _ANSI.sub("", line)) for line in text.splitlines()]
    found = [m for line in lines if (m := re.search(pattern, line))]
    assert found, f"{name}: the tool's summary line is missing"
    if "Tests run:" in pattern:
        found = found[-1:]  # Maven's last "Tests run:" line is the whole run's
    return sum(int(n) for m in found for n in m.groups() if n)


@pytest.mark.parametrize("name", sorted(SUMMARIES))
def test_the_distinct_failures_match_the_tools_own_summary(name: str) -> None:
    failures = count_failures((FIXTURES / name).read_text(errors="replace"))
    assert failures.distinct == _stated(name)
    assert failures.lines >= failures.distinct  # a failure is printed on several lines


def test_a_tools_errors_are_told_apart_from_its_failed_tests() -> None:
    failures = count_failures((FIXTURES / "unittest.log").read_text())
    assert (failures.tests, failures.errors) == (2, 1)  # FAILED (failures=2, errors=1)
    assert failures.describe() == "2 failing tests, 1 error"
    assert count_failures((FIXTURES / "javac.log").read_text()).describe() == "2 errors"


def test_a_log_naming_no_failure_counts_lines() -> None:
    text = "2026-11-24 ERROR payment gateway timeout\n2026-11-24 ERROR retry failed\nok\n"
    failures = count_failures(text)
    assert failures.distinct == 0 and failures.describe() == "2 failure lines"


def test_counting_while_streaming_gives_the_same_answer() -> None:
    text = (FIXTURES / "pytest-fail.log").read_text()
    tally = Tally()
    assert "".join(tally.tap(text[i : i + 97] for i in range(0, len(text), 97))) == text
    assert tally.result() == count_failures(text)


def test_the_command_line_reports_failures_not_failure_lines(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    log = FIXTURES / "pytest-fail.log"
    assert main(["compress", str(log), "--budget", "600", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["failures"] == stats["failing_tests"] == _stated("pytest-fail.log") == 2
    assert stats["errors"] == 0 and stats["failure_lines"] > stats["failures"]
    assert main(["compress", str(log), "--budget", "600", "-o", str(tmp_path / "o.log")]) == 0
    assert ", 2 failing tests" in capsys.readouterr().err
