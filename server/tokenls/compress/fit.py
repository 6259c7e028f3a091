"""Choosing what to keep so the output fits the budget, and rendering it in input order.

Failures come first: every failure block is kept (with its context when that fits). The
rest fills what is left by priority (errors, warnings, info, debug), never using the share
of the budget reserved for failures. What is left out becomes one marker line per gap,
saying how many lines of which level were omitted. The final text is counted exactly and
trimmed until it fits, so the output never exceeds the budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tokenls.compress.classify import Level
from tokenls.compress.stream import Unit
from tokenls.engine.counting import Counter

Annotate = Callable[[Unit], str]


@dataclass(slots=True)
class Fitted:
    text: str
    tokens: int
    kept_lines: int
    overflow: bool


def fit(
    units: Sequence[Unit],
    budget: int,
    reserve: float,
    counter: Counter,
    annotate: Annotate | None = None,
) -> Fitted:
    annotate = annotate or (lambda _unit: "")
    critical = [u for u in units if u.level == Level.CRITICAL]
    # Blank lines are only ever counted in the omitted markers, never shown.
    others = sorted(
        (u for u in units if u.level != Level.CRITICAL and u.lines[0].strip()),
        key=lambda u: (u.level, u.first),
    )
    cost = {id(u): counter.count(render(u, True, annotate(u))).tokens + 1 for u in units}
    core_cost = {id(u): counter.count(render(u, False, annotate(u))).tokens + 1 for u in critical}
    marker = 16  # a marker line costs about this much; checked exactly below
    with_context = sum(cost[id(u)] for u in critical)
    without_context = sum(core_cost[id(u)] for u in critical)
    if critical and without_context + marker > budget:
        return _overflow(units, critical, budget, counter, annotate)

    context = with_context + marker * (len(critical) + 1) <= budget
    used = (with_context if context else without_context) + marker * (len(critical) + 1)
    ceiling = budget * (1 - reserve)  # what non-failure lines may use at most
    chosen: list[Unit] = []
    spent = 0
    for unit in others:
        extra = cost[id(unit)] + marker
        if used + extra <= budget and spent + extra <= ceiling:
            chosen.append(unit)
            used += extra
            spent += extra
    keep = {id(u) for u in critical} | {id(u) for u in chosen}
    while True:
        text = _render_all(units, keep, context, annotate)
        tokens = counter.count(text).tokens
        if tokens <= budget:
            text, tokens = _refill(
                units, others, keep, context, annotate, budget, counter, text, tokens
            )
            return Fitted(text, tokens, _kept_lines(units, keep), False)
        if chosen:
            keep.discard(id(chosen.pop()))  # lowest priority goes first
        elif context:
            context = False
        elif critical:
            return _overflow(units, critical, budget, counter, annotate)
        else:  # only the omitted-lines marker is left, and even it does not fit
            text = _truncate(text, budget, counter)
            return Fitted(text, counter.count(text).tokens, 0, False)


def _refill(
    units: Sequence[Unit],
    others: Sequence[Unit],
    keep: set[int],
    context: bool,
    annotate: Annotate,
    budget: int,
    counter: Counter,
    text: str,
    tokens: int,
    attempts: int = 24,
) -> tuple[str, int]:
    """The estimates are cautious: with the exact count in hand, add what still fits."""
    for unit in others:
        if attempts <= 0 or tokens >= budget:
            break
        if id(unit) in keep:
            continue
        attempts -= 1
        keep.add(id(unit))
        candidate = _render_all(units, keep, context, annotate)
        count = counter.count(candidate).tokens
        if count <= budget:
            text, tokens = candidate, count
        else:
            keep.discard(id(unit))
    return text, tokens


def render(unit: Unit, context: bool, note: str = "") -> str:
    if not unit.is_block:
        example = unit.lines[0]
        if unit.count > 1:
            example += f" [×{unit.count:,}]" if unit.identical else f" [×{unit.count:,} similar]"
        return example + note
    lines = (
        unit.lines
        if context
        else unit.lines[unit.context_before : len(unit.lines) - unit.context_after]
    )
    out = list(lines)
    first = unit.context_before if context else 0
    if note and out:
        out[first] += note
    if unit.cut:
        at = len(out) - (unit.context_after if context else 0)
        out.insert(at, f"… {unit.cut:,} more lines of this failure omitted")
    return "\n".join(out)


def _render_all(units: Sequence[Unit], keep: set[int], context: bool, annotate: Annotate) -> str:
    out: list[str] = []
    gap: dict[Level, int] = {}
    for unit in units:
        if id(unit) in keep:
            hidden = unit.is_block and not context
            if hidden and unit.context_before:
                gap[Level.LOW] = gap.get(Level.LOW, 0) + unit.context_before
            if gap:
                out.append(marker_line(gap))
                gap = {}
            out.append(render(unit, context, annotate(unit)))
            if hidden and unit.context_after:
                gap[Level.LOW] = gap.get(Level.LOW, 0) + unit.context_after
        else:
            for level, n in unit.by_level.items():
                gap[level] = gap.get(level, 0) + n
    if gap:
        out.append(marker_line(gap))
    return "\n".join(out) + ("\n" if out else "")


def marker_line(gap: dict[Level, int]) -> str:
    total = sum(gap.values())
    parts = ", ".join(f"{level.label} ×{n:,}" for level, n in sorted(gap.items()) if n)
    return f"… {total:,} line{'s' if total != 1 else ''} omitted: {parts}"


def _kept_lines(units: Sequence[Unit], keep: set[int]) -> int:
    return sum(u.represented for u in units if id(u) in keep)


def _overflow(
    units: Sequence[Unit], critical: list[Unit], budget: int, counter: Counter, annotate: Annotate
) -> Fitted:
    """Failures alone exceed the budget: the first and last whole, then as many more whole
    as fit, and the rest summarised by signature with counts; the output says so."""
    first, last = critical[0], critical[-1]
    middle = [u for u in critical if u is not first and u is not last]
    whole = [first] if last is first else [first, last]
    rendered = {id(u): render(u, False, annotate(u)) for u in critical}

    def assemble(extra: list[Unit], summary: list[str]) -> str:
        shown = sorted([*whole, *extra], key=lambda u: u.first)
        hidden = len(middle) - len(extra)
        header = (
            f"[tokenls: failures alone exceed the {budget:,}-token budget: kept {len(shown):,} "
            f"whole (the first and the last), summarised {hidden:,} others by signature]"
        )
        return "\n".join([header, *(rendered[id(u)] for u in shown), *summary]) + "\n"

    extra: list[Unit] = []
    for unit in middle:  # more whole failures, in input order, while they fit
        if counter.count(assemble([*extra, unit], [])).tokens > budget * 0.8:
            break
        extra.append(unit)
    rest = [u for u in middle if u not in extra]
    groups: dict[str, list[Unit]] = {}
    for unit in rest:
        groups.setdefault(_signature(unit).translate(_DIGITS), []).append(unit)
    ordered = sorted(groups.values(), key=lambda g: (-sum(u.count for u in g), g[0].first))
    summary: list[str] = []
    for group in ordered:
        n = sum(u.count for u in group)
        line = f"{_signature(group[0])} [×{n:,} like this]"
        if counter.count(assemble(extra, [*summary, line])).tokens > budget:
            break
        summary.append(line)
    text = _truncate(assemble(extra, summary), budget, counter)
    kept = sum(u.represented for u in [*whole, *extra])
    return Fitted(text, counter.count(text).tokens, kept, True)


_DIGITS = str.maketrans("0123456789", "0000000000")


def _signature(unit: Unit) -> str:
    """The line that tells failures apart: a traceback's exception, else its first line."""
    if not unit.is_block:
        return unit.lines[0]
    core = unit.lines[unit.context_before : len(unit.lines) - unit.context_after]
    if core and core[0].startswith("Traceback") and len(core) > 1:
        return core[-1]
    return core[0] if core else unit.lines[0]


def _truncate(text: str, budget: int, counter: Counter) -> str:
    """Cut text (keeping its head and tail) until it fits; the last resort."""
    if counter.count(text).tokens <= budget:
        return text
    marker = "\n… [cut to fit the budget] …\n"
    keep = len(text)
    while keep > 0:
        keep = int(keep * 0.8)
        head, tail = text[: keep // 2], text[len(text) - keep // 2 :] if keep >= 2 else ""
        candidate = head + marker + tail
        if counter.count(candidate).tokens <= budget:
            return candidate
    return marker.strip() if counter.count(marker.strip()).tokens <= budget else ""
