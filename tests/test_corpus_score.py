"""The corpus scorer's yardsticks: ``tail`` fills the budget from the end, recall reads past
colour codes and runner escapes, and the tables average what they say."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench" / "corpus"))
from score import Score, recall, summary, tables, tail

from tests.conftest import truth


def _count(text: str) -> int:
    return truth(text, "o200k_base")


def test_tail_keeps_the_last_lines_that_fit() -> None:
    text = "\n".join(f"line {i}: the quick brown fox" for i in range(100))
    kept = tail(text, 50, _count)
    assert text.endswith(kept)
    assert _count("".join(x + "\n" for x in kept.split("\n"))) <= 50
    one_more = text.split("\n")[-len(kept.split("\n")) - 1 :]
    assert _count("".join(x + "\n" for x in one_more)) > 50


def test_recall_ignores_colour_codes_runner_escapes_and_spacing() -> None:
    want = ["E assert 1999 == 2000", "error[E0425]: cannot find value `parts` in this scope"]
    out = (
        "\x1b_bk;t=1744404805000\x07E       assert \x1b[31m1999\x1b[0m == 2000\r\n"
        "2025-04-11T19:32:22.4029967Z error[E0425]: cannot find value `parts` in this scope"
    )
    assert recall(want, out) == 1
    assert recall(want, out.split("\n")[0]) == 0.5


def test_tables_average_per_group() -> None:
    scores = [
        Score("a", "python", "plain", "pytest", 900, 1.0, 0.5, 1.0, 0.0, 0),
        Score("b", "python", "gitlab", "pytest", 900, 0.5, 0.0, 0.0, 0.0, 1),
        Score("c", "go", "plain", "go test", 900, 1.0, 1.0, 1.0, 1.0, 0),
    ]
    python = summary(scores[:2])
    assert python["recall"] == 0.75 and python["complete"] == 0.5 and python["tail_recall"] == 0.25
    result = tables(scores)
    assert result["framing"]["plain"]["logs"] == 2 and result["tool"]["go test"]["recall"] == 1
    assert result["all"]["all"]["complete"] == round(2 / 3, 3)
