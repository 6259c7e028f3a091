"""A text cut to a token budget for reading: a prompt stays a prompt.

A prompt that pastes logs keeps its own text — headings, instructions, examples — whole,
and each pasted log is compressed in place to its share of the budget
(``tokenls.compress.plan``; failures kept first, gaps marked by the compressor). When that
is not enough, or there is no log, the file keeps every Markdown heading it can (shallow
levels first), then as many of its other lines, from the top, as fit; each run of left-out
lines becomes one short marker line, and the gaps are returned with their line ranges and
exact token counts so a reader knows what asking for more would cost. The result never
exceeds the budget, counted exactly (an estimated count is held to its upper bound). Text
without headings keeps its beginning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tokenls.document.outline import headings, read_frontmatter, scan_structure
from tokenls.engine.counting import Counter
from tokenls.engine.text import split_lines

_MARKER_ESTIMATE = 8  # tokens of one "[… 1,204 lines not shown]" line, about


@dataclass(frozen=True, slots=True)
class Gap:
    start: int  # first line left out, 0-based
    end: int  # exclusive
    tokens: int


@dataclass(frozen=True, slots=True)
class Squeezed:
    """A pasted log compressed in place."""

    start: int  # first line of the log's body in the file, 0-based
    end: int  # exclusive
    tokens: int  # of the log as the file has it
    kept: int  # of the log as shown


@dataclass(frozen=True, slots=True)
class Fitted:
    text: str
    tokens: int
    gaps: list[Gap]
    logs: list[Squeezed] = field(default_factory=list)


def marker(start: int, end: int) -> str:
    """The line standing for lines ``[start, end)``."""
    count = end - start
    return f"[… {count:,} line{'' if count == 1 else 's'} not shown]\n"


def fit_prompt(text: str, budget: int, counter: Counter) -> Fitted:
    """``text`` itself when it fits; else its pasted logs compressed in place to their share
    of the budget; else (the rest of it alone is over) its outline and beginning."""
    from tokenls.compress.pasted import fenced_logs

    whole = counter.count(text)
    if whole.bound <= budget:
        return Fitted(text, whole.tokens, [])
    lines = split_lines(text)
    blocks = fenced_logs(lines, scan_structure(lines, read_frontmatter(lines).end).fences)
    if not blocks or not counter.additive:
        return fit_outline(text, budget, counter)
    squeezed = _logs_in_place(lines, blocks, whole.bound, budget, counter)
    if squeezed is None:
        return fit_outline(text, budget, counter)
    return squeezed


def _logs_in_place(
    lines: list[str], blocks: list[tuple[int, int]], total: int, budget: int, counter: Counter
) -> Fitted | None:
    from tokenls.compress import compress
    from tokenls.compress.plan import LogCost, failure_floor, fit

    bodies = ["".join(lines[a:b]) for a, b in blocks]
    sizes = [counter.count(body).tokens for body in bodies]
    costs = [
        LogCost(n, failure_floor(body, counter)) for n, body in zip(sizes, bodies, strict=True)
    ]
    shown: dict[int, str] = {}

    def shrink(i: int, target: int) -> int:
        out = compress([bodies[i]], target, counter, count_input=False).text
        shown[i] = out if bodies[i].endswith("\n") or not out.endswith("\n") else out[:-1]
        return counter.count(shown[i]).tokens

    held = 0  # what the seams between text and logs cost beyond the parts' counts
    for _ in range(3):
        planned = fit(costs, total, budget - held, shrink)
        if planned.over:
            return None
        out: list[str] = []
        logs: list[Squeezed] = []
        at = 0
        for i, (a, b) in enumerate(blocks):
            out.extend(lines[at:a])
            body = bodies[i] if planned.targets[i] is None else shown[i]
            out.append(body)
            if planned.targets[i] is not None:
                logs.append(Squeezed(a, b, sizes[i], counter.count(body).tokens))
            at = b
        out.extend(lines[at:])
        text = "".join(out)
        count = counter.count(text)
        if count.bound <= budget:
            return Fitted(text, count.tokens, [], logs)
        held += count.bound - budget
    return None


def fit_outline(text: str, budget: int, counter: Counter) -> Fitted:
    """``text`` itself when it fits ``budget``, else its outline and beginning within it."""
    whole = counter.count(text)
    if whole.bound <= budget:
        return Fitted(text, whole.tokens, [])
    lines = split_lines(text)
    heads = headings(lines, read_frontmatter(lines).end)
    order = [h.line for h in sorted(heads, key=lambda h: (h.level, h.line))]
    outline = set(order)
    order += [i for i in range(len(lines)) if i not in outline]
    costs = [counter.count(line, cache=False).tokens for line in lines]
    blank = [not line.strip() for line in lines]
    added = _fill(order, costs, blank, budget)
    while True:
        kept = sorted(added)
        rendered, runs = _render(lines, kept)
        count = counter.count(rendered)
        if count.bound <= budget or not added:
            break
        # Estimates are off by a token or so at each seam: give back what the excess costs.
        excess = count.bound - budget
        while added and excess > 0:
            excess -= costs[added.pop()] or 1
    if count.bound > budget:  # not even one marker fits
        return Fitted("", 0, [Gap(0, len(lines), whole.tokens)])
    gaps = [Gap(a, b, counter.count("".join(lines[a:b])).tokens) for a, b in runs]
    return Fitted(rendered, count.tokens, gaps)


def _fill(order: list[int], costs: list[int], blank: list[bool], budget: int) -> list[int]:
    """Lines in priority order while the estimate (kept lines plus one marker per run of
    left-out lines) stays within ``budget``; a line that does not fit is passed over, so
    later, smaller ones can still use the budget. A blank line is kept only where it
    costs no marker."""
    kept = [False] * len(costs)
    last = len(costs) - 1
    spent = _MARKER_ESTIMATE
    added: list[int] = []
    for i in order:
        left = i > 0 and not kept[i - 1]
        right = i < last and not kept[i + 1]
        change = 1 if left and right else (-1 if not (left or right) else 0)
        if blank[i] and change > 0:
            continue
        cost = costs[i] + change * _MARKER_ESTIMATE
        if spent + cost > budget:
            continue
        kept[i] = True
        spent += cost
        added.append(i)
    return added


def _render(lines: list[str], kept: list[int]) -> tuple[str, list[tuple[int, int]]]:
    """The kept lines in order with a marker for each run left out, and those runs."""
    out: list[str] = []
    runs: list[tuple[int, int]] = []
    at = 0
    for i in [*kept, len(lines)]:
        if i > at:
            runs.append((at, i))
            out.append(marker(at, i))
        if i < len(lines):
            out.append(lines[i])  # only the last line can lack a break: no marker follows it
        at = i + 1
    return "".join(out), runs
