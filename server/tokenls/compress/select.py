"""Which lines of a log to keep under a token budget.

Each line gets a value from what it says (a failure header, the detail under one, a
warning, noise), how rare its shape is in this log, and where it sits: the end of the
step that failed is where people look first. Every failure's headline is kept first
(``headlines``), then lines are chosen greedily by value per token; a line identical to one
already kept adds nothing. The caller renders the chosen lines verbatim, in input order,
with a marker for each gap.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter as Tally
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from tokenls.compress import first_report, headlines, signals

_SHAPE = re.compile(r"0x[0-9a-fA-F]+|[0-9a-fA-F]{8,}|\d+")
FIRST_FAILURE_WEIGHT = 2.0  # the first failure header of the failing step, and its detail
END_WEIGHT = 4.0  # extra worth at the failing step's end, fading over half the budget
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
    values: list[float]  # every line's worth (the least worth per token goes first in a fit)


def shape(line: str) -> str:
    """A line with its numbers and ids masked: repeats of one message share a shape."""
    return _SHAPE.sub("0", line.strip())[:160]


def failing_step(lines: Sequence[str]) -> tuple[int, int]:
    """(start, end) of the step that failed: end is the runner's failure line (or the end)."""
    failed = [i for i, line in enumerate(lines) if signals.STEP_FAILED.search(line)]
    end = failed[0] if failed else None
    command = signals.RETRIED.search(lines[end]) if end is not None else None
    if command is not None:  # retried: the failure that counts is the last attempt's
        end = max(i for i in failed if command.group(1) in lines[i])
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
    shapes = [shape(line) for line in lines]
    seen = Tally(shapes)
    # What a line says, less the more often its shape recurs in this log.
    own = [_BASE[k] / (1.0 + math.log2(seen[shapes[i]])) for i, k in enumerate(kinds)]
    values = _with_context(lines, kinds, own)
    start, end = failing_step(lines)
    _weigh_position(lines, kinds, tokens, values, start, end, budget)
    return values, start, end


def _with_context(lines: Sequence[str], kinds: Sequence[int], own: list[float]) -> list[float]:
    """The detail under a failure (frames, excerpts, diffs) and the line that introduces it
    share its worth, fading with distance; a passing test ends a failure's detail."""
    values = list(own)
    heat = 0.0
    for i, line in enumerate(lines):
        k = kinds[i]
        if k == signals.FAILURE or k == signals.TROUBLE:
            heat = max(heat * 0.97, own[i])
        elif k == signals.NOISE and signals.is_passing(line):
            heat *= 0.3
            continue
        elif k == signals.BLANK or signals.is_detail(line):
            heat *= 0.97
        else:
            heat *= 0.5
        values[i] = max(values[i], heat)
        if k <= signals.PLAIN and signals.is_library_frame(line):
            values[i] *= 0.7
    heat = 0.0
    for i in range(len(lines) - 1, -1, -1):
        k = kinds[i]
        if k in (signals.FAILURE, signals.SUMMARY):
            heat = 0.6 * own[i]
        else:
            heat *= 0.6 if k != signals.BLANK else 0.8
            values[i] = max(values[i], heat)
    return values


def _weigh_position(
    lines: Sequence[str],
    kinds: Sequence[int],
    tokens: Sequence[int],
    values: list[float],
    start: int,
    end: int,
    budget: int,
) -> None:
    """The first failure of the failing step is usually the cause; the step's end is where
    failures cluster; other steps and the runner's epilogue matter less."""
    n = len(lines)
    first = next(
        (
            i
            for i in range(start, min(end, n))
            if kinds[i] == signals.FAILURE and signals.HEADER.search(lines[i])
        ),
        None,
    )
    if first is not None:
        for i in range(max(first - 2, 0), min(first + 40, n)):
            values[i] *= FIRST_FAILURE_WEIGHT
    scale = max(budget * 0.5, 1.0)
    dist = 0
    for i in range(min(end, n - 1), -1, -1):
        values[i] *= 0.6 if i < start else 1.0 + END_WEIGHT * math.exp(-dist / scale)
        dist += tokens[i]
    for i in range(end + 1, n):
        values[i] *= 0.4
    if end < n:
        values[end] = max(values[end], 20.0)


MARKER_COST = 12  # tokens of a typical gap marker
REPORT_SHARE = 0.4  # of the budget, what the first failure's report may take beyond the rest
REPORT_VALUE = 100.0  # what a line of the first failure's report is worth when a plan shrinks
HEADLINE_VALUE = 1000.0  # what a kept headline is worth when the plan must shrink
FLOOD = 24  # more message headlines alike but for names than this: one failure, repeated


@dataclass(frozen=True, slots=True)
class Scored:
    """Every line's worth, computed once per log and reused by each plan."""

    values: list[float]
    kinds: list[int]
    start: int  # first line of the failing step
    end: int  # the line reporting the failing step, or len(lines)
    demoted: frozenset[int] = frozenset()  # lines a passing run also has
    heads: tuple[headlines.Headline, ...] = ()  # each failure's headline, in input order
    repeat_of: Mapping[int, int] | None = None  # a headline → the first one with its text
    alike: frozenset[int] = frozenset()  # headlines that differ from an earlier one in names only


def score(
    lines: Sequence[str],
    tokens: Sequence[int],
    budget: int,
    *,
    kinds: Sequence[int] | None = None,
    skip: AbstractSet[int] = frozenset(),
    boost: Mapping[int, float] | None = None,
) -> Scored:
    """Lines in ``skip`` are worth nothing; ``boost`` multiplies lines' worth."""
    kinds = list(kinds) if kinds is not None else [signals.kind(line) for line in lines]
    values, start, end = line_values(lines, kinds, tokens, budget)
    for i in skip:
        values[i] = 0.0
    for i, factor in (boost or {}).items():
        values[i] *= factor
    demoted = frozenset(i for i, factor in (boost or {}).items() if factor < 1.0)
    heads = tuple(h for h in headlines.find(lines) if h.head not in skip)
    first: dict[str, int] = {}
    repeat_of: dict[int, int] = {}
    family = {h.head: headlines.family(lines[h.head]) for h in heads if h.message}
    size = Tally(family.values())
    seen: set[str] = set()
    alike: set[int] = set()
    for h in heads:
        text = lines[h.head].strip()
        if first.setdefault(text, h.head) != h.head:
            repeat_of[h.head] = first[text]
            continue
        key = family.get(h.head)
        if key is not None and size[key] > FLOOD:
            if key in seen:
                alike.add(h.head)
            seen.add(key)
    return Scored(values, kinds, start, end, demoted, heads, repeat_of, frozenset(alike))


def plan(
    lines: Sequence[str],
    tokens: Sequence[int],
    budget: int,
    scored: Scored | None = None,
    *,
    tail_share: float = 0.5,
) -> Plan:
    """The end of the failing step first (``tail_share`` of the budget), then the rest
    greedily by value per marginal token: a line next to a kept one costs no gap marker."""
    scored = scored or score(lines, tokens, budget)
    chosen = _Selection(lines, tokens, scored)
    chosen.take_headlines(budget)
    chosen.take_failing_end(budget * tail_share)
    chosen.take_first_report(budget)
    chosen.take_by_value(budget)
    chosen.fill_blank_lines(budget)
    values = scored.values
    if chosen.protect:
        values = list(values)
        for i, worth in chosen.protect.items():
            values[i] = max(values[i], worth)
    return Plan([i for i, kept in enumerate(chosen.kept) if kept], values)


class _Selection:
    """Lines chosen so far, what they cost, and each line's nearest neighbours with text:
    blank lines are never worth a token on their own, and a gap of blank lines needs no
    marker."""

    def __init__(self, lines: Sequence[str], tokens: Sequence[int], scored: Scored) -> None:
        self.lines, self.tokens, self.scored = lines, tokens, scored
        n = len(lines)
        self.blank = [k == signals.BLANK for k in scored.kinds]
        self.before, self.after = [-1] * n, [n] * n
        last = -1
        for i in range(n):
            self.before[i] = last
            last = last if self.blank[i] else i
        last = n
        for i in range(n - 1, -1, -1):
            self.after[i] = last
            last = last if self.blank[i] else i
        self.kept = [False] * n
        self.texts: set[str] = set()  # a line identical to a kept one adds nothing
        self.spent = 0
        self.protect: dict[int, float] = {}  # headlines kept first: the last to go in a fit

    def keep(self, i: int, cost: int) -> None:
        self.kept[i] = True
        self.texts.add(self.lines[i].strip())
        self.spent += cost

    def joins(self, i: int) -> tuple[bool, bool]:
        before, after = self.before[i], self.after[i]
        return before >= 0 and self.kept[before], after < len(self.kept) and self.kept[after]

    def take_headlines(self, budget: int) -> None:
        """Every failure's headline first, then each one's first companion, then its second:
        breadth before depth. A headline repeating a kept one's text adds nothing. Of a flood
        of one message differing only in names and numbers, and of exceptions that name no
        failed check, only the first comes here: the rest compete with every other line."""
        scored = self.scored
        repeat_of = scored.repeat_of or {}
        heads = [h for h in scored.heads if h.head not in repeat_of]
        # Lines naming what failed (a test, a source line) before lines saying how.
        first = sorted(
            (h for h in heads if h.strong and h.head not in scored.alike),
            key=lambda h: (h.message, h.head),
        )
        rest = [h for h in heads if not h.strong or h.head in scored.alike]
        self._take_rounds(first, budget)
        self._take_rounds(rest[:1], budget)

    def _take_rounds(self, heads: list[headlines.Headline], limit: float) -> None:
        """Round 0 keeps each headline (with the companion that completes it, when one
        does: a panic's location says nothing without its message); round k each one's
        k-th companion."""
        depth = max((len(h.companions) for h in heads), default=0)
        for rank in range(depth + 1):
            for h in heads:
                if rank and (rank > len(h.companions) or not self.kept[h.head]):
                    continue
                if rank == 0:
                    self._take_headline_line(h.head, limit, rank)
                    if h.joined and self.kept[h.head]:
                        self._take_headline_line(h.companions[0], limit, rank)
                else:
                    self._take_headline_line(h.companions[rank - 1], limit, rank, own=True)

    def _take_headline_line(self, i: int, limit: float, rank: int, own: bool = False) -> None:
        """``own``: a companion, kept even when another failure's says the same (two tests
        failing with one message each need theirs)."""
        if self.kept[i] or (not own and self.lines[i].strip() in self.texts):
            return
        cost = self.tokens[i] + (0 if any(self.joins(i)) else MARKER_COST)
        if self.spent + cost <= limit:
            self.keep(i, cost)
            self.protect[i] = HEADLINE_VALUE / (1 + rank)

    def take_failing_end(self, limit: float) -> None:
        """Walk back from the failing step's end, skipping noise, repeats and lines a
        passing run also has (each skip costs a gap marker)."""
        scored, gap = self.scored, False
        for i in range(min(scored.end, len(self.lines) - 1), scored.start - 1, -1):
            if self.blank[i]:
                continue
            if scored.values[i] == 0.0:  # folded away: the held end of the log is over
                break
            if (
                scored.kinds[i] == signals.NOISE
                or i in scored.demoted
                or self.lines[i].strip() in self.texts
            ):
                gap = True
                continue
            cost = self.tokens[i] + (MARKER_COST if gap else 0)
            if self.spent + cost > limit:
                break
            self.keep(i, cost)
            gap = False

    def take_first_report(self, budget: int) -> None:
        """The first failure of the failing step, whole: its banner, then its lines from the
        headline down, then the lines between banner and headline (the test's source), up
        to ``REPORT_SHARE`` of the budget more. Frames in code the project does not own and
        lines a passing run also prints are passed over. These are the last lines a fit
        drops after the headlines."""
        limit = min(float(budget), self.spent + budget * REPORT_SHARE)
        scored = self.scored
        heads = [h.head for h in scored.heads if h.strong]
        step = (scored.start, scored.end)
        block = first_report.locate(
            self.lines, self.blank, scored.kinds, scored.demoted, heads, step
        )
        if block is None:
            return
        top, head, bottom = block
        lines, kinds, demoted = self.lines, self.scored.kinds, self.scored.demoted
        lead = [i for i in range(top, head) if i == top or first_report.BANNER.match(lines[i])]
        order = [*lead, *range(head, bottom), *(i for i in range(top, head) if i not in lead)]
        for i in order:
            if self.kept[i] or self.blank[i] or i in demoted or self.scored.values[i] == 0.0:
                continue
            if kinds[i] == signals.NOISE or signals.is_library_frame(lines[i]):
                continue
            if lines[i].strip() in self.texts:
                continue
            cost = self.tokens[i] + (0 if any(self.joins(i)) else MARKER_COST)
            if self.spent + cost > limit:
                if i >= head:
                    break
                continue
            self.keep(i, cost)
            self.protect[i] = max(self.protect.get(i, 0.0), REPORT_VALUE)

    def take_by_value(self, budget: int) -> None:
        values, tokens = self.scored.values, self.tokens

        def density(i: int) -> float:
            left, right = self.joins(i)
            extra = MARKER_COST if not (left or right) else -MARKER_COST if left and right else 0
            return values[i] / max(tokens[i] + extra, 1) ** 0.7

        n = len(values)
        heap = [(-density(i), i) for i in range(n) if values[i] > 0.0 and not self.blank[i]]
        heapq.heapify(heap)
        while heap:
            neg, i = heapq.heappop(heap)
            if self.kept[i]:
                continue
            current = density(i)
            if current > -neg + 1e-12:  # a neighbour was kept since: cheaper now, queue again
                heapq.heappush(heap, (-current, i))
                continue
            cost = tokens[i] + (0 if any(self.joins(i)) else MARKER_COST)
            if self.spent + cost > budget or self.lines[i].strip() in self.texts:
                continue
            self.keep(i, cost)
            for j in (self.before[i], self.after[i]):
                if 0 <= j < n and not self.kept[j] and values[j] > 0.0:
                    heapq.heappush(heap, (-density(j), j))

    def fill_blank_lines(self, budget: int) -> None:
        """Blank lines between kept lines keep a block's shape, when there is room."""
        for i, blank in enumerate(self.blank):
            between = blank and not self.kept[i] and all(self.joins(i))
            if between and self.scored.values[i] > 0.0 and self.spent + self.tokens[i] <= budget:
                self.kept[i] = True
                self.spent += self.tokens[i]
