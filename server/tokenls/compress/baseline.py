"""Naive head+tail truncation to a budget: what ``--compare`` measures compression against."""

from __future__ import annotations

from dataclasses import dataclass

from tokenls.compress.signals import FAILURE, kind
from tokenls.engine.counting import Counter


@dataclass(frozen=True, slots=True)
class Naive:
    text: str
    tokens: int
    kept_lines: int
    dropped_lines: int
    failure_lines_kept: int
    failure_lines_total: int


def head_tail(text: str, budget: int, counter: Counter) -> Naive:
    """Keep the first and last lines, half the budget each, as people truncate by hand."""
    lines = text.splitlines()
    head: list[str] = []
    tail: list[str] = []
    spent = 0
    i, j = 0, len(lines) - 1
    while i <= j:
        take_head = len(head) <= len(tail)
        line = lines[i] if take_head else lines[j]
        cost = counter.count(line + "\n").tokens
        if spent + cost > budget:
            break
        spent += cost
        if take_head:
            head.append(line)
            i += 1
        else:
            tail.append(line)
            j -= 1
    kept = head + tail[::-1]
    failures = [n for n, line in enumerate(lines) if kind(line) >= FAILURE]
    kept_index = set(range(len(head))) | set(range(len(lines) - len(tail), len(lines)))
    out = "\n".join(kept) + ("\n" if kept else "")
    return Naive(
        out,
        counter.count(out).tokens,
        len(kept),
        len(lines) - len(kept),
        sum(1 for n in failures if n in kept_index),
        len(failures),
    )
