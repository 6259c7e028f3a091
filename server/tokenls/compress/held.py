"""A log read once, in bounded memory: every line while it fits, the lines that matter after.

Lines are split at ``\\n`` only (a bare ``\\r`` rewrites the line, see ``normalize``) and
cleaned as they arrive. While the held text stays under ``limit`` characters every line is
kept; past it, older lines that are neither failures nor near one are folded into
``Elided`` runs that remember only how many lines of each kind they held. The end of the
log is always held whole, since the failing step usually ends there.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tokenls.compress import signals
from tokenls.compress.normalize import clean_line

HOLD_CHARS = 4 * 1024 * 1024
_NEAR = 3  # lines around a failure that stay held with it
_TAIL_SHARE = 0.25  # of the limit, the end of the log held whole


@dataclass(slots=True)
class Elided:
    """Lines dropped before selection: only their number per kind is left."""

    kinds: Tally[int] = field(default_factory=Tally)

    def __len__(self) -> int:
        return sum(self.kinds.values())


@dataclass(slots=True)
class HeldLog:
    lines: list[str]  # "" stands in for an Elided entry
    kinds: list[int]
    elided: dict[int, Elided]  # position in ``lines`` → the run it stands for
    input_lines: int
    # What each line says when that differs from what is output (a runner's timestamp, kept
    # colour codes); None when every line is output as it reads.
    texts: list[str] | None = None

    @property
    def visible(self) -> list[str]:
        return self.texts if self.texts is not None else self.lines


def split_lines(chunks: Iterable[str]) -> Iterator[str]:
    carry = ""
    for chunk in chunks:
        if not chunk:
            continue
        parts = (carry + chunk).split("\n")
        carry = parts.pop()
        for part in parts:
            yield part[:-1] if part.endswith("\r") else part
    if carry:
        yield carry[:-1] if carry.endswith("\r") else carry


def visible_lines(text: str) -> list[str]:
    """Every line of ``text`` as a person sees it (CI markers gone): a passing run's log."""
    return [c.text for raw in split_lines([text]) if (c := clean_line(raw)) is not None]


def hold(chunks: Iterable[str], *, keep_ansi: bool = False, limit: int = HOLD_CHARS) -> HeldLog:
    lines: list[str] = []
    kinds: list[int] = []
    texts: list[str] | None = None
    elided: dict[int, Elided] = {}
    size = 0
    count = 0
    kind = signals.KindCache()
    for raw in split_lines(chunks):
        count += 1
        cleaned = clean_line(raw, keep_ansi=keep_ansi)
        if cleaned is None:
            continue
        shown, text = cleaned.shown, cleaned.text
        lines.append(shown)
        kinds.append(kind(text))
        if texts is not None:
            texts.append(text)
        elif shown is not text and shown != text:
            texts = [*lines[:-1], text]
        size += len(shown) + 1
        if size > limit:
            lines, kinds, elided, texts = _fold(lines, kinds, elided, limit, texts)
            size = sum(len(line) + 1 for line in lines)
    return HeldLog(lines, kinds, elided, count, texts)


def _fold(
    lines: list[str],
    kinds: list[int],
    elided: dict[int, Elided],
    limit: int,
    texts: list[str] | None = None,
) -> tuple[list[str], list[int], dict[int, Elided], list[str] | None]:
    """Fold older lines far from any failure until the held text is at most half the limit.

    Kept, in order of preference: the end of the log, lines near a failure, failure lines
    alone (earliest first: the first failure is most often the cause)."""
    n = len(lines)
    tail_start = n
    tail = 0
    while tail_start > 0 and tail < limit * _TAIL_SHARE:
        tail_start -= 1
        tail += len(lines[tail_start]) + 1
    keep = [i >= tail_start for i in range(n)]
    for i in range(tail_start):
        if kinds[i] >= signals.TROUBLE and i not in elided:
            for j in range(max(i - _NEAR, 0), min(i + _NEAR + 1, tail_start)):
                keep[j] = j not in elided
    room = limit / 2 - tail
    if sum(len(lines[i]) + 1 for i in range(tail_start) if keep[i]) > room:
        keep = [i >= tail_start for i in range(n)]
        for i in range(tail_start):
            if kinds[i] >= signals.FAILURE and i not in elided and room > 0:
                keep[i] = True
                room -= len(lines[i]) + 1
    out_lines: list[str] = []
    out_kinds: list[int] = []
    out_texts: list[str] | None = [] if texts is not None else None
    out_elided: dict[int, Elided] = {}
    run: Elided | None = None
    for i in range(n):
        if keep[i]:
            run = None
            out_lines.append(lines[i])
            out_kinds.append(kinds[i])
            if out_texts is not None and texts is not None:
                out_texts.append(texts[i])
            continue
        if run is None:
            run = Elided()
            out_elided[len(out_lines)] = run
            out_lines.append("")
            out_kinds.append(signals.BLANK)
            if out_texts is not None:
                out_texts.append("")
        if i in elided:
            run.kinds.update(elided[i].kinds)
        else:
            run.kinds[kinds[i]] += 1
    return out_lines, out_kinds, out_elided, out_texts
