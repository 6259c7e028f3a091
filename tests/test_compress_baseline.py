"""A passing run only helps: against it, no failure line is lost that would be kept without.

Every pass/fail pair of real runs in tests/fixtures/logs (the same project before and after
a small change), at budgets from half to one and a half times the labelled lines' budget.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import truth
from tests.logs import CMAKE_MUST_KEEP, FIXTURES
from tokenls.cli.main import main
from tokenls.compress import compress
from tokenls.compress.baseline import against
from tokenls.compress.held import visible_lines
from tokenls.engine.counting import Counter

EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
PAIRS = sorted(
    p.name.removesuffix("-pass.log")
    for p in FIXTURES.glob("*-pass.log")
    if (FIXTURES / p.name.replace("-pass", "-fail")).exists()
)
COUNTER = Counter("o200k_base")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _labelled(tool: str) -> tuple[list[str], int]:
    """The lines a person needs from the failing run, and the budget they are scored at."""
    if tool == "cmake":
        need = sum(truth(line + "\n", "o200k_base") for line in CMAKE_MUST_KEEP)
        return CMAKE_MUST_KEEP, round((2 * need + 300) / 10) * 10
    spec = EXPECTED[f"{tool}-fail.log"]
    return [_ANSI.sub("", line).strip() for line in spec["must_keep"]], spec["budget"]


def _recall(text: str, lines: list[str]) -> int:
    kept = {line.strip() for line in text.splitlines()}
    return sum(line in kept for line in lines)


def test_every_pair_of_real_runs_is_scored() -> None:
    assert {"cargo", "cmake", "go", "jest", "maven", "pytest"} <= set(PAIRS)


@pytest.mark.parametrize("share", [0.5, 0.75, 1.0, 1.5])
@pytest.mark.parametrize("tool", PAIRS)
def test_a_passing_run_never_costs_a_labelled_failure_line(tool: str, share: float) -> None:
    failing = (FIXTURES / f"{tool}-fail.log").read_text()
    passing = visible_lines((FIXTURES / f"{tool}-pass.log").read_text())
    labelled, budget = _labelled(tool)
    budget = int(budget * share)
    alone = compress([failing], budget, COUNTER).text
    compared = compress([failing], budget, COUNTER, baseline=against(passing, [failing])).text
    assert truth(compared, "o200k_base") <= budget
    assert _recall(compared, labelled) >= _recall(alone, labelled)


def test_a_headline_the_passing_run_also_prints_is_never_demoted() -> None:
    failing = (FIXTURES / "maven-fail.log").read_text()
    headline = (
        "[ERROR]   OrderServiceTest.totalWithTax:29 expected: <36.29 EUR> but was: <32.69 EUR>"
    )
    assert headline in visible_lines(failing)
    passing = [*visible_lines((FIXTURES / "maven-pass.log").read_text()), headline]
    compared = against(passing, [failing])
    assert headline not in compared
    assert "[INFO] Building orders 1.0.0-SNAPSHOT" in compared  # both print it, far from it


def test_a_count_that_became_non_zero_makes_a_summary_new() -> None:
    passing = ["Tests run: 12, Failures: 0, Errors: 0, Skipped: 0", "Results :"]
    failing = "Results :\n\nTests run: 12, Failures: 1, Errors: 0, Skipped: 0\n"
    assert against(passing, [failing]) == ["Results :"]


def test_a_baseline_from_standard_input_is_read_twice_off_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    failing = (FIXTURES / "pytest-fail.log").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(failing)))
    out = tmp_path / "out.log"
    baseline = str(FIXTURES / "pytest-pass.log")
    assert main(["compress", "-", "--budget", "690", "--baseline", baseline, "-o", str(out)]) == 0
    labelled, _ = _labelled("pytest")
    assert _recall(out.read_text(), labelled) == len(labelled)
