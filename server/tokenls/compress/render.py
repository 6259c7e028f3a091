"""Kept lines verbatim, in input order, and one marker line for each gap between them."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Sequence

from tokenls.compress import signals

MARK = "…"


_DETAILED = 20  # gaps at least this long say which levels they held


def gap_marker(kinds: Sequence[int]) -> str | None:
    """``… 312 lines omitted (ERROR ×2, WARN ×10, INFO ×300)``; None for blank lines only."""
    levels = Tally(signals.level(k) for k in kinds if k != signals.BLANK)
    shown = sum(levels.values())
    if not shown:
        return None
    noun = "line" if shown == 1 else "lines"
    if shown < _DETAILED:
        return f"{MARK} {shown:,} {noun} omitted"
    parts = ", ".join(f"{name} ×{levels[name]:,}" for name in ("ERROR", "WARN", "INFO") if levels[name])
    return f"{MARK} {shown:,} {noun} omitted ({parts})"


def render(lines: Sequence[str], kinds: Sequence[int], kept: Sequence[int]) -> str:
    out: list[str] = []
    previous = -1
    for i in [*kept, len(lines)]:
        if i > previous + 1:
            marker = gap_marker(kinds[previous + 1 : i])
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
) -> tuple[str, list[int], int]:
    """Render, and drop the least valuable lines until the exact count is within budget."""
    kept = list(kept)
    while True:
        text = render(lines, kinds, kept)
        used = count(text)
        if used <= budget or not kept:
            return text, kept, used
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
