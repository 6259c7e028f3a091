"""Runs to compare a failing log with: a passing run (``--baseline``), and naive head+tail
truncation (``--compare``).

A passing run only helps. Lines whose shape (numbers and ids masked) the passing run also
prints are worth less, so what is new in the failing run is kept first — but a shape is
never demoted when the failing run prints it at a failure: a failure line or headline, a
line within a few lines of one or in the detail under one (passing-test noise aside), or a
summary whose count went from zero to non-zero (``Failures: 0`` in the passing run,
``Failures: 1`` here: masked, the two are one shape). ``against`` returns the passing run's
lines without those shapes, so the compressor demotes only what both runs print away from
any failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tokenls.compress import headlines
from tokenls.compress.held import split_lines
from tokenls.compress.normalize import clean_line
from tokenls.compress.select import shape
from tokenls.compress.signals import FAILURE, NOISE, SUMMARY, KindCache, is_detail, kind
from tokenls.engine.counting import Counter

_BLOCK = 4096  # failing-run lines looked at together for headlines (bounded memory)
_OVERLAP = 200  # a headline's companions lie at most this far below it (headlines._LOOK)
_NEAR = 6  # lines on either side of a failure line that introduce or explain it
_DETAIL = 60  # lines of detail under a failure (its frames, excerpts, diff) that explain it
_NUMBER = re.compile(r"\d+")


def against(passing: Sequence[str], failing: Iterable[str]) -> list[str]:
    """The lines of ``passing`` (visible lines of a passing run) the failing run may be
    compared with: every shape the failing run prints at a failure is taken out.
    ``failing`` is the failing log as it is read (chunks of raw text), read once."""
    counts: dict[str, set[str]] = {}
    for line in passing:
        counts.setdefault(shape(line), set()).add(_zeros(line))
    protected: set[str] = set()
    block: list[str] = []
    kind = KindCache()
    for raw in split_lines(failing):
        cleaned = clean_line(raw)
        if cleaned is None:
            continue
        block.append(cleaned.text)
        if len(block) >= _BLOCK + _OVERLAP:
            _protect(block, counts, protected, kind)
            block = block[-_OVERLAP:]
    _protect(block, counts, protected, kind)
    return [line for line in passing if shape(line) not in protected]


def _protect(block: list[str], counts: dict[str, set[str]], out: set[str], kind: KindCache) -> None:
    """Add the shapes ``block`` prints at a failure: its failure lines and headlines, the
    lines around them that are not passing-test noise, and summaries whose counts moved."""
    kinds = [kind(text) for text in block]
    shapes = [shape(text) if kinds[i] > NOISE else None for i, text in enumerate(block)]
    near: set[int] = set()
    for h in headlines.find(block):
        near.update(range(max(h.head - _NEAR, 0), h.head + _NEAR + 1), h.companions)
    detail = 0  # where the detail under the last failure line ends
    for i, k in enumerate(kinds):
        if k == FAILURE:
            near.update(range(max(i - _NEAR, 0), i + _NEAR + 1))
            detail = max(detail, i + 1)
            while detail < min(i + _DETAIL, len(block)) and is_detail(block[detail]):
                near.add(detail)
                detail += 1
        elif k == SUMMARY and shapes[i] in counts and _zeros(block[i]) not in counts[shapes[i]]:
            near.add(i)
    for i in near:
        if i < len(block) and (key := shapes[i]) is not None and key in counts:
            out.add(key)


def _zeros(line: str) -> str:
    """Which numbers in a line are zero: a count that became non-zero makes a line new."""
    return _NUMBER.sub(lambda m: "0" if m.group(0).strip("0") == "" else "1", line.strip())


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
