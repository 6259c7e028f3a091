"""Which lines of a log to keep under a token budget.

Each line gets a value from what it says (a failure header, the detail under one, a
warning, noise), how rare its shape is in this log, and where it sits: the end of the
step that failed is where people look first. Lines are then chosen greedily by value per
token; a line identical to one already kept adds nothing. The caller renders the chosen
lines verbatim, in input order, with a marker for each gap.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter as Tally
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from tokenls.compress import signals

_SHAPE = re.compile(r"0x[0-9a-fA-F]+|[0-9a-fA-F]{8,}|\d+")
_BASE = {
    signals.FAILURE: 6.0,
    signals.SUMMARY: 5.0,
    signals.TROUBLE: 3.0,
    signals.WARNING: 2.0,
    signals.PLAIN: 1.0,
    signals.NOISE: 0.15,
    signals.BLANK: 0.05,
}


@dataclass(frozen=True, slots=True)
class Plan:
    kept: list[int]  # indices into the lines, ascending
    values: list[float]
    kinds: list[int]  # signals.kind of each line
    failing_end: int  # index of the line that reported the failing step, or len(lines)


def shape(line: str) -> str:
    """A line with its numbers and ids masked: repeats of one message share a shape."""
    return _SHAPE.sub("0", line.strip())[:160]


def failing_step(lines: Sequence[str]) -> tuple[int, int]:
    """(start, end) of the step that failed: end is the runner's failure line (or the end)."""
    end = next((i for i, line in enumerate(lines) if signals.STEP_FAILED.search(line)), None)
    if end is None:
        end = len(lines)
        while end > 0 and (not lines[end - 1].strip() or signals.EPILOGUE.search(lines[end - 1])):
            end -= 1
    start = 0
    for i in range(end - 1, -1, -1):
        if signals.STEP_START.search(lines[i]):
            start = i
            break
    return start, end


def line_values(
    lines: Sequence[str], kinds: Sequence[int], tokens: Sequence[int], budget: int
) -> tuple[list[float], int, int]:
    """Each line's worth: what it says, how rare its shape is, where it sits."""
    n = len(lines)
    shapes = [shape(line) for line in lines]
    seen = Tally(shapes)
    start, end = failing_step(lines)
    # What a line says, less the more often its shape recurs in this log.
    own = [_BASE[k] / (1.0 + math.log2(seen[shapes[i]])) for i, k in enumerate(kinds)]
    values = list(own)
    heat = 0.0
    for i, line in enumerate(lines):  # the detail under a failure belongs with it
        k = kinds[i]
        if k == signals.FAILURE or k == signals.TROUBLE:
            heat = max(heat * 0.97, own[i])
        elif k == signals.NOISE:  # a passing test ends the failure above it
            heat *= 0.3
            continue
        elif k == signals.BLANK or signals.is_detail(line):
            heat *= 0.97
        else:
            heat *= 0.5
        values[i] = max(values[i], heat)
    heat = 0.0
    for i in range(n - 1, -1, -1):  # and so does what introduces it
        k = kinds[i]
        if k in (signals.FAILURE, signals.SUMMARY):
            heat = 0.6 * own[i]
        else:
            heat *= 0.6 if k != signals.BLANK else 0.8
            values[i] = max(values[i], heat)
    first = next(
        (i for i in range(start, min(end, n)) if kinds[i] == signals.FAILURE and signals.HEADER.search(lines[i])),
        None,
    )
    if first is not None:  # the first failure of the failing step is usually the cause
        for i in range(max(first - 2, 0), min(first + 40, n)):
            values[i] *= 2.0
    scale = max(budget * 0.5, 1.0)
    dist = 0
    for i in range(min(end, n - 1), -1, -1):
        values[i] *= 0.6 if i < start else 1.0 + 4.0 * math.exp(-dist / scale)
        dist += tokens[i]
    for i in range(end + 1, n):
        values[i] *= 0.4
    if end < n:
        values[end] = max(values[end], 20.0)
    return values, start, end


MARKER_COST = 12  # tokens of a typical gap marker


def plan(
    lines: Sequence[str],
    tokens: Sequence[int],
    budget: int,
    *,
    kinds: Sequence[int] | None = None,
    tail_share: float = 0.4,
    skip: AbstractSet[int] = frozenset(),
    boost: Mapping[int, float] | None = None,
) -> Plan:
    """The end of the failing step first (``tail_share`` of the budget), then the rest
    greedily by value per marginal token: a line next to a kept one costs no gap marker.
    Lines in ``skip`` are never chosen; ``boost`` multiplies chosen lines' values."""
    kinds = list(kinds) if kinds is not None else [signals.kind(line) for line in lines]
    values, start, end = line_values(lines, kinds, tokens, budget)
    for i in skip:
        values[i] = 0.0
    for i, factor in (boost or {}).items():
        values[i] *= factor
    n = len(lines)
    blank = [k == signals.BLANK for k in kinds]
    # Blank lines are never worth a token on their own; a gap of blank lines needs no
    # marker, so neighbours are the nearest lines with text.
    before, after = [-1] * n, [n] * n
    last = -1
    for i in range(n):
        before[i] = last
        if not blank[i]:
            last = i
    last = n
    for i in range(n - 1, -1, -1):
        after[i] = last
        if not blank[i]:
            last = i
    kept = [False] * n
    texts: set[str] = set()
    spent = 0
    gap = False
    for i in range(min(end, n - 1), start - 1, -1):  # the failing step's end, minus noise
        if i in skip:
            break
        if blank[i]:
            continue
        key = lines[i].strip()
        if kinds[i] == signals.NOISE or key in texts or values[i] == 0.0:
            gap = True
            continue
        if boost is not None and boost.get(i, 1.0) < 1.0:
            gap = True
            continue
        cost = tokens[i] + (MARKER_COST if gap else 0)
        if spent + cost > budget * tail_share:
            break
        texts.add(key)
        kept[i] = True
        spent += cost
        gap = False

    def joins(i: int) -> tuple[bool, bool]:
        return before[i] >= 0 and kept[before[i]], after[i] < n and kept[after[i]]

    def density(i: int) -> float:
        left, right = joins(i)
        extra = MARKER_COST if not (left or right) else -MARKER_COST if left and right else 0
        return values[i] / max(tokens[i] + extra, 1) ** 0.7

    heap = [(-density(i), i) for i in range(n) if values[i] > 0.0 and not blank[i]]
    heapq.heapify(heap)
    while heap:
        neg, i = heapq.heappop(heap)
        if kept[i]:
            continue
        current = density(i)
        if current > -neg + 1e-12:  # a neighbour was kept since: cheaper now, queue again
            heapq.heappush(heap, (-current, i))
            continue
        cost = tokens[i] + (0 if any(joins(i)) else MARKER_COST)
        if spent + cost > budget:
            continue
        key = lines[i].strip()
        if key in texts:
            continue
        texts.add(key)
        kept[i] = True
        spent += cost
        for j in (before[i], after[i]):
            if 0 <= j < n and not kept[j] and values[j] > 0.0:
                heapq.heappush(heap, (-density(j), j))
    # Blank lines between kept lines keep a block's shape, when there is room for them.
    for i in range(n):
        if blank[i] and not kept[i] and 0 <= before[i] and after[i] < n:
            if kept[before[i]] and kept[after[i]] and spent + tokens[i] <= budget:
                kept[i] = True
                spent += tokens[i]
    return Plan([i for i in range(n) if kept[i]], values, kinds, end)
