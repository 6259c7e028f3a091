"""Every failure's headline survives a tight budget, on real logs of today's tools.

The logs in fixtures/logs/corpus were made by bench/corpus/make.py: real tools run on
mutated projects, some framed as a GitHub Actions runner writes its raw log. The lines each
test expects come from the tools' own structured reports (pytest --junitxml, jest --json,
go test -json, libtest's JSON, gcc's JSON diagnostics, tsc, surefire and ctest reports),
recorded in labels.json beside the logs, never from the compressor's classification.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import truth
from tokenls.compress import compress
from tokenls.compress.held import hold
from tokenls.compress.normalize import STAMP
from tokenls.engine.counting import Counter

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
CORPUS = FIXTURES / "corpus"
LABELS = json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))
COUNTER = Counter("o200k_base")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


def _norm(line: str) -> str:
    return " ".join(_ANSI.sub("", line).split())


def _kept(text: str) -> str:
    return "\n".join(_norm(line) for line in text.splitlines())


def _missing(name: str, budget_of: Callable[[int], int]) -> tuple[list[str], int]:
    entry = LABELS[name]
    log = (CORPUS / entry["log"]).read_text(encoding="utf-8")
    want = [_norm(line) for line in entry["lines"]]
    budget = budget_of(truth("".join(line + "\n" for line in entry["lines"]), "o200k_base"))
    result = compress([log], budget, COUNTER)
    assert result.output_tokens == truth(result.text, "o200k_base") <= budget
    kept = _kept(result.text)
    return [line for line in want if line not in kept], len(want)


@pytest.mark.parametrize("name", sorted(LABELS))
def test_every_failures_lines_survive_twice_their_size(name: str) -> None:
    missing, _ = _missing(name, lambda label: 2 * label + 500)
    assert not missing, missing


@pytest.mark.parametrize("name", sorted(LABELS))
def test_nearly_every_failures_lines_survive_a_tight_budget(name: str) -> None:
    """Room for the lines and 300 tokens: gap markers alone may need more when dozens of
    failures are spread over a log."""
    missing, total = _missing(name, lambda label: label + 300)
    assert len(missing) <= total * 0.05, missing


@pytest.mark.parametrize("name", sorted(n for n in LABELS if LABELS[n]["framed"]))
def test_a_runner_log_keeps_its_lines_verbatim_with_their_timestamps(name: str) -> None:
    log = (CORPUS / LABELS[name]["log"]).read_text(encoding="utf-8")
    result = compress([log], 800, COUNTER)
    lines = set(log.splitlines())
    for line in result.text.splitlines():
        assert line.startswith("… ") or line in lines, line
    assert "##[endgroup]" not in result.text


def test_the_newcomer_log_keeps_the_panic_and_the_assertions_at_600_tokens() -> None:
    """One job tests a crate (an empty slice indexed) and a Python package (a sum off by
    one, a remainder shared out last) with cargo, pytest and unittest."""
    log = (CORPUS / "mixed-newcomer.log").read_text(encoding="utf-8")
    assert truth(log, "o200k_base") > 6000
    result = compress([log], 600, COUNTER)
    assert result.output_tokens <= 600
    lines = [line.strip() for line in result.text.splitlines()]
    assert "index out of bounds: the len is 0 but the index is 0" in lines
    assert "E       assert 1999 == 2000".strip() in lines
    assert "E       AssertionError: 1500 != 2000".strip() in lines
    assert any(line.startswith("E       AssertionError: assert [166, 166") for line in lines)


def test_thirty_failures_each_headline_comes_before_any_detail() -> None:
    """29 tests fail in one pytest run: in a budget that holds little more than their
    summary lines, every one of them is kept (breadth before any failure's detail)."""
    entry = LABELS["python-take"]
    log = (CORPUS / entry["log"]).read_text(encoding="utf-8")
    summary = [line for line in entry["lines"] if line.startswith("FAILED ")]
    assert len(summary) >= 25
    budget = truth("".join(line + "\n" for line in summary), "o200k_base") + 300
    kept = _kept(compress([log], budget, COUNTER).text)
    assert all(_norm(line) in kept for line in summary)


def test_thirty_panics_with_one_message_keep_the_message_and_many_locations() -> None:
    """cargo test where 30 tests panic with the same message: in a tight budget the panic's
    message is kept with the first location (a location alone says nothing), said once,
    and the budget goes to more failing tests' locations, not to repeats of the message."""
    log = (FIXTURES / "cargo-unwrap30.log").read_text(encoding="utf-8")
    message = "called `Option::unwrap()` on a `None` value"
    assert log.count(message) == 30
    lines = compress([log], 400, COUNTER).text.splitlines()
    assert lines.count(message) == 1
    first = next(i for i, line in enumerate(lines) if "panicked at" in line)
    assert lines[first + 1] == message
    assert sum("panicked at" in line for line in lines) >= 8


def test_a_long_runner_log_folds_its_lines_and_what_they_say_together() -> None:
    log = (CORPUS / "rust-index.gha.log").read_text(encoding="utf-8") * 20
    held = hold([log], limit=100_000)
    assert held.elided and held.texts is not None and len(held.texts) == len(held.lines)
    for line, text in zip(held.lines, held.texts, strict=True):
        assert line.endswith(text) and (line == text == "" or STAMP.match(line))
    result = compress([log], 1200, COUNTER)
    assert "index out of bounds" in result.text or "panicked at" in result.text
