"""A text document that keeps its token count exact across incremental edits.

The text is held as lines, grouped into segments of about ``SEGMENT_CHARS`` that begin at
exact cuts (the line rule of ``tokenls.engine.cuts``); the segments are kept as sorted
lists (first line, count), one entry per segment rather than per line. An edit re-splits
the touched lines, then re-counts only the segments those lines belong to, so the total
stays equal to ``len(enc.encode_ordinary(document.text))`` while a keystroke costs one or
two small encodes, and moving the later segments costs one addition per segment, not per
line. Markdown headings always begin a segment, which makes section counts exact sums of
stored counts.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate

from tokenls.engine.counting import Count, Counter
from tokenls.engine.cuts import is_line_cut
from tokenls.engine.text import PositionEncoding, column_to_index, split_lines

Position = tuple[int, int]
SEGMENT_CHARS = 2048


class Document:
    """Lines, per-segment counts and position conversion for one open document."""

    def __init__(
        self,
        text: str,
        counter: Counter,
        position_encoding: PositionEncoding = "utf-16",
        version: int = 0,
    ) -> None:
        self.counter = counter
        self.position_encoding: PositionEncoding = position_encoding
        self.version = version
        self._lines: list[str] = []
        self._starts: list[int] = []  # first line of each segment, ascending
        self._counts: list[int] = []  # each segment's count
        self._slack: list[int] = []  # each segment's upper bound minus count (inexact ones)
        self._tokens = 0
        self._slack_total = 0
        self._text: str | None = None
        self._prefix: tuple[list[int], list[int]] | None = None  # over segments
        self._known: Count | None = None
        self.apply_change(text)

    @classmethod
    def with_known_total(
        cls,
        text: str,
        counter: Counter,
        total: Count,
        position_encoding: PositionEncoding = "utf-16",
    ) -> Document:
        """A document whose total is already known (from a content-keyed cache): its lines
        are counted only if something asks for more than the total."""
        doc = cls.__new__(cls)
        doc.counter = counter
        doc.position_encoding = position_encoding
        doc.version = 0
        doc._lines = split_lines(text)
        doc._starts, doc._counts, doc._slack = [], [], []
        doc._tokens = doc._slack_total = 0
        doc._text = text
        doc._prefix = None
        doc._known = total
        return doc

    def _ensure_counted(self) -> None:
        if self._known is not None:
            self._known = None
            self._recount(0, 0, 0, len(self._lines))

    # -- reading ---------------------------------------------------------------------

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "".join(self._lines)
        return self._text

    @property
    def lines(self) -> list[str]:
        """The lines with their breaks (do not mutate)."""
        return self._lines

    @property
    def line_count(self) -> int:
        return len(self._lines)

    @property
    def total(self) -> Count:
        if self._known is not None:
            return self._known
        if self._slack_total == 0:
            return Count(self._tokens)
        return Count(self._tokens, exact=False, upper=self._tokens + self._slack_total)

    def is_segment_start(self, index: int) -> bool:
        self._ensure_counted()
        if index <= 0 or index >= len(self._lines):
            return True
        at = bisect_left(self._starts, index)
        return at < len(self._starts) and self._starts[at] == index

    def count_lines(self, start: int, end: int) -> Count:
        """Tokens of lines ``[start, end)`` counted on their own (exact, like all counts)."""
        self._ensure_counted()
        n = len(self._lines)
        start = max(start, 0)
        end = min(end, n)
        if start >= end:
            return Count(0)
        starts = self._starts
        # The first segment start in [start, end] and the last one at or before end.
        at = bisect_left(starts, start)
        first = min(starts[at] if at < len(starts) else n, end)
        last = end if end == n else starts[bisect_right(starts, end) - 1]
        last = max(last, first)
        if first == start and last == end:
            return self._stored_sum(start, end)  # sections: a difference of prefix sums
        if first >= last:
            return self.counter.count("".join(self._lines[start:end]))
        middle = self._stored_sum(first, last)
        head = self.counter.count("".join(self._lines[start:first]))
        tail = self.counter.count("".join(self._lines[last:end]))
        return head + middle + tail

    def line_reaching(self, tokens: int) -> int:
        """The first line at which the running count reaches ``tokens``."""
        self._ensure_counted()
        n = len(self._lines)
        if not n:
            return 0
        prefix, _ = self._prefix_sums()
        segment = bisect_left(prefix, tokens) - 1
        if segment >= len(self._starts):
            return n - 1  # past the total: the last line
        segment = max(segment, 0)
        # Inside the segment, lines are counted one by one: close enough to place a range.
        running = prefix[segment]
        line = self._starts[segment]
        last = (self._starts[segment + 1] if segment + 1 < len(self._starts) else n) - 1
        while line < last:
            running += self.counter.count(self._lines[line]).tokens
            if running >= tokens:
                break
            line += 1
        return line

    def _stored_sum(self, first: int, last: int) -> Count:
        """The stored counts of the segments beginning in lines ``[first, last)``."""
        tokens, slack = self._prefix_sums()
        i = bisect_left(self._starts, first)
        j = bisect_left(self._starts, last, i)
        count, extra = tokens[j] - tokens[i], slack[j] - slack[i]
        return Count(count) if extra == 0 else Count(count, exact=False, upper=count + extra)

    def _prefix_sums(self) -> tuple[list[int], list[int]]:
        if self._prefix is None:
            slack = (  # slack is never negative: a zero total means every one is zero
                list(accumulate(self._slack, initial=0))
                if self._slack_total
                else [0] * (len(self._slack) + 1)
            )
            self._prefix = (list(accumulate(self._counts, initial=0)), slack)
        return self._prefix

    def offset_at(self, position: Position) -> tuple[int, int]:
        """(line, index) for an LSP position; past-the-end positions clamp to the end."""
        line, column = position
        if line < 0:
            return 0, 0
        if line >= len(self._lines):
            return len(self._lines), 0
        return line, column_to_index(self._lines[line], column, self.position_encoding)

    # -- editing ---------------------------------------------------------------------

    def apply_change(
        self, new_text: str, start: Position | None = None, end: Position | None = None
    ) -> None:
        """Apply one LSP content change; no range means the whole document."""
        if start is not None:
            self._ensure_counted()
        self._known = None
        self._text = None
        self._prefix = None
        if start is None or end is None:
            self._lines = split_lines(new_text)
            self._starts, self._counts, self._slack = [], [], []
            self._tokens = self._slack_total = 0
            self._recount(0, 0, 0, len(self._lines))
            return
        (l0, i0), (l1, i1) = self.offset_at(start), self.offset_at(end)
        if (l1, i1) < (l0, i0):
            (l0, i0), (l1, i1) = (l1, i1), (l0, i0)
        lines = self._lines
        n = len(lines)
        # One neighbour on each side absorbs a \r\n pair joined or split by the edit.
        a = max(l0 - 1, 0)
        b = min(l1 + 2, n)
        head = "".join(lines[a:l0]) + (lines[l0][:i0] if l0 < n else "")
        tail = (lines[l1][i1:] if l1 < n else "") + "".join(lines[l1 + 1 : b])
        replacement = split_lines(head + new_text + tail)
        # Lines the edit left as they were (the neighbours, mostly) are not touched: only
        # old lines [lo, hi) became new lines [lo, new_hi).
        lo, hi, new_hi = a, b, a + len(replacement)
        while lo < hi and lo < new_hi and lines[lo] == replacement[lo - a]:
            lo += 1
        while hi > lo and new_hi > lo and lines[hi - 1] == replacement[new_hi - 1 - a]:
            hi -= 1
            new_hi -= 1
        lines[a:b] = replacement
        self._resegment(lo, hi, new_hi)

    def _resegment(self, lo: int, hi: int, new_hi: int) -> None:
        """Re-count the segments of old lines ``[lo, hi)``, now new lines ``[lo, new_hi)``
        (the lines are already replaced), and move the later segments with the text."""
        lines = self._lines
        delta = new_hi - hi
        starts = self._starts
        # Segments beginning on touched lines are gone; later ones move with the text.
        i = bisect_left(starts, lo)
        j = bisect_left(starts, hi, i)
        # The segment before the touched lines is kept whole when it ended right there.
        kept_before = lo == 0 or (i < len(starts) and starts[i] == lo)
        for k in range(i, j):
            self._tokens -= self._counts[k]
            self._slack_total -= self._slack[k]
        del starts[i:j], self._counts[i:j], self._slack[i:j]
        if delta:
            starts[i:] = [start + delta for start in starts[i:]]
        n = len(lines)
        # The recount begins at the touched lines when they begin on an exact cut after an
        # intact segment, else at the start of the segment they continue.
        if kept_before and (lo == 0 or (lo < n and is_line_cut(lines[lo - 1], lines[lo]))):
            p, s = i, lo
        else:
            p = max(i - 1, 0)
            s = starts[p] if i > 0 else 0
        # It ends at the first segment after the touched lines that still begins on a cut.
        q = bisect_left(starts, new_hi, i)
        while (
            q < len(starts)
            and starts[q] > 0
            and not is_line_cut(lines[starts[q] - 1], lines[starts[q]])
        ):
            q += 1
        e = starts[q] if q < len(starts) else n
        for k in range(p, q):
            self._tokens -= self._counts[k]
            self._slack_total -= self._slack[k]
        self._recount(p, q, s, e)

    def _recount(self, p: int, q: int, start: int, end: int) -> None:
        """Replace segments ``[p, q)`` by a fresh count of lines ``[start, end)``."""
        lines = self._lines
        spans = segment_spans(lines, start, end)
        texts = [lines[i] if j == i + 1 else "".join(lines[i:j]) for i, j in spans]
        counts = self.counter.count_many(texts)  # an opened document's in one call
        tokens = [count.tokens for count in counts]
        slack = [count.bound - count.tokens for count in counts]
        self._starts[p:q] = [i for i, _ in spans]
        self._counts[p:q] = tokens
        self._slack[p:q] = slack
        self._tokens += sum(tokens)
        self._slack_total += sum(slack)


def segment_spans(lines: list[str], start: int, end: int) -> list[tuple[int, int]]:
    """The segments of lines ``[start, end)`` as (first, past-last) line pairs.

    Lines join a segment until it holds SEGMENT_CHARS; a new one starts only at an
    exact cut, and always at a heading so that sections are sums of stored counts."""
    spans: list[tuple[int, int]] = []
    i = start
    while i < end:
        size = len(lines[i])
        j = i + 1
        while j < end:
            line = lines[j]
            if (size >= SEGMENT_CHARS or line.startswith("#")) and is_line_cut(lines[j - 1], line):
                break
            size += len(line)
            j += 1
        spans.append((i, j))
        i = j
    return spans
