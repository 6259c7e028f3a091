"""Kept lines verbatim, in input order, and one marker line for each gap between them."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Mapping, Sequence

from tokenls.compress import signals
from tokenls.compress.held import Elided

MARK = "…"


_DETAILED = 20  # gaps at least this long say which levels they held


def gap_marker(kinds: Sequence[int], elided: Sequence[Elided] = (), repeats: int = 0) -> str | None:
    """``… 312 lines omitted (ERROR ×2, WARN ×10, INFO ×300)``; None for blank lines only.
    ``repeats`` of the omitted lines say what a kept failure line already says."""
    levels = Tally(signals.level(k) for k in kinds if k != signals.BLANK)
    for run in elided:
        for k, n in run.kinds.items():
            if k != signals.BLANK:
                levels[signals.level(k)] += n
    shown = sum(levels.values())
    if not shown:
        return None
    noun = "line" if shown == 1 else "lines"
    same = f"{repeats:,} more like a kept failure line" if repeats else ""
    if shown < _DETAILED:
        return f"{MARK} {shown:,} {noun} omitted" + (f" ({same})" if same else "")
    parts = ", ".join(
        f"{name} ×{levels[name]:,}" for name in ("ERROR", "WARN", "INFO") if levels[name]
    )
    return f"{MARK} {shown:,} {noun} omitted ({parts}{'; ' + same if same else ''})"


def render(
    lines: Sequence[str],
    kinds: Sequence[int],
    kept: Sequence[int],
    elided: Mapping[int, Elided] | None = None,
    repeat_of: Mapping[int, int] | None = None,
) -> str:
    out: list[str] = []
    previous = -1
    shown = set(kept) if repeat_of else set()
    for i in [*kept, len(lines)]:
        if i > previous + 1:
            runs = [elided[j] for j in range(previous + 1, i) if j in elided] if elided else []
            repeats = (
                sum(1 for j in range(previous + 1, i) if repeat_of.get(j, -1) in shown)
                if repeat_of
                else 0
            )
            marker = gap_marker(kinds[previous + 1 : i], runs, repeats)
            if marker is not None:
                out.append(marker)
        if i < len(lines):
            out.append(lines[i])
        previous = i
    return "".join(line + "\n" for line in out)


def fit(
    lines: Sequence[str],
    kinds: Sequence[int],
    kept: list[int],
    values: Sequence[float],
    tokens: Sequence[int],
    budget: int,
    count: Callable[[str], int],
    elided: Mapping[int, Elided] | None = None,
    repeat_of: Mapping[int, int] | None = None,
) -> tuple[str, list[int], int]:
    """Render, and drop the least valuable lines until the exact count is within budget."""
    kept = list(kept)
    while True:
        text = render(lines, kinds, kept, elided, repeat_of)
        used = count(text)
        if used <= budget:
            return text, kept, used
        if not kept:  # not even the marker fits
            return "", [], 0
        excess = used - budget
        by_value = sorted(kept, key=lambda i: (values[i] / max(tokens[i], 1), -i))
        drop: set[int] = set()
        freed = 0
        for i in by_value:
            drop.add(i)
            freed += tokens[i]
            if freed >= excess:
                break
        kept = [i for i in kept if i not in drop]
