"""A text document that keeps its token count exact across incremental edits.

The text is held as lines, grouped into segments of about ``SEGMENT_CHARS`` that begin at
exact cuts (the line rule of ``tokenls.engine.cuts``); each segment's count is stored on its first
line. An edit re-splits the touched lines, then re-counts only the segments around them, so
the total stays equal to ``len(enc.encode_ordinary(document.text))`` while a keystroke costs
one or two small encodes. Markdown headings always begin a segment, which makes section
counts exact sums of stored counts.
"""

from __future__ import annotations

from bisect import bisect_left
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
        self._starts: list[bool] = []  # which lines begin a stored segment
        self._counts: list[int] = []
        self._slack: list[int] = []  # upper bound minus count, for inexact segments
        self._tokens = 0
        self._slack_total = 0
        self._text: str | None = None
        self._prefix: tuple[list[int], list[int]] | None = None
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
        doc._starts = doc._counts = doc._slack = []
        doc._tokens = doc._slack_total = 0
        doc._text = text
        doc._prefix = None
        doc._known = total
        return doc

    def _ensure_counted(self) -> None:
        if self._known is not None:
            self._known = None
            n = len(self._lines)
            self._starts, self._counts, self._slack = [False] * n, [0] * n, [0] * n
            self._recount(0, n)

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
        return index <= 0 or index >= len(self._lines) or self._starts[index]

    def count_lines(self, start: int, end: int) -> Count:
        """Tokens of lines ``[start, end)`` counted on their own (exact, like all counts)."""
        self._ensure_counted()
        start = max(start, 0)
        end = min(end, len(self._lines))
        if start >= end:
            return Count(0)
        if self.is_segment_start(start) and self.is_segment_start(end):
            return self._stored_sum(start, end)  # sections: a difference of prefix sums
        first = start
        while first < end and not self.is_segment_start(first):
            first += 1
        last = end
        while last > first and not self.is_segment_start(last):
            last -= 1
        if first >= last:
            return self.counter.count("".join(self._lines[start:end]))
        middle = self._stored_sum(first, last)
        head = self.counter.count("".join(self._lines[start:first]))
        tail = self.counter.count("".join(self._lines[last:end]))
        return head + middle + tail

    def line_reaching(self, tokens: int) -> int:
        """The first line at which the running count reaches ``tokens``."""
        self._ensure_counted()
        if not self._lines:
            return 0
        prefix, _ = self._prefix_sums()
        start = min(max(bisect_left(prefix, tokens) - 1, 0), len(self._lines) - 1)
        # Inside the segment, lines are counted one by one: close enough to place a range.
        running = prefix[start]
        line = start
        while line < len(self._lines) - 1 and not self.is_segment_start(line + 1):
            running += self.counter.count(self._lines[line]).tokens
            if running >= tokens:
                break
            line += 1
        return line

    def _stored_sum(self, first: int, last: int) -> Count:
        tokens, slack = self._prefix_sums()
        count, extra = tokens[last] - tokens[first], slack[last] - slack[first]
        return Count(count) if extra == 0 else Count(count, exact=False, upper=count + extra)

    def _prefix_sums(self) -> tuple[list[int], list[int]]:
        if self._prefix is None:
            self._prefix = (
                list(accumulate(self._counts, initial=0)),
                list(accumulate(self._slack, initial=0)),
            )
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
            self._starts = [False] * len(self._lines)
            self._counts = [0] * len(self._lines)
            self._slack = [0] * len(self._lines)
            self._tokens = self._slack_total = 0
            self._recount(0, len(self._lines))
            return
        (l0, i0), (l1, i1) = self.offset_at(start), self.offset_at(end)
        if (l1, i1) < (l0, i0):
            (l0, i0), (l1, i1) = (l1, i1), (l0, i0)
        n = len(self._lines)
        # One neighbour on each side absorbs a \r\n pair joined or split by the edit.
        a = max(l0 - 1, 0)
        b = min(l1 + 2, n)
        head = "".join(self._lines[a:l0]) + (self._lines[l0][:i0] if l0 < n else "")
        tail = (self._lines[l1][i1:] if l1 < n else "") + "".join(self._lines[l1 + 1 : b])
        replacement = split_lines(head + new_text + tail)
        self._drop(a, b)
        self._lines[a:b] = replacement
        self._starts[a:b] = [False] * len(replacement)
        self._counts[a:b] = [0] * len(replacement)
        self._slack[a:b] = [0] * len(replacement)
        # Stored starts before ``a`` are unchanged, so the nearest one bounds the recount.
        # After the replacement, the next stored start that is still an exact cut does.
        s = a - 1
        while s > 0 and not self._starts[s]:
            s -= 1
        s = max(s, 0)
        e = min(a + len(replacement) + 1, len(self._lines))
        while e < len(self._lines) and not (
            self._starts[e] and is_line_cut(self._lines[e - 1], self._lines[e])
        ):
            e += 1
        self._drop(s, e)
        self._recount(s, e)

    def _drop(self, start: int, end: int) -> None:
        for i in range(start, end):
            if self._starts[i]:
                self._tokens -= self._counts[i]
                self._slack_total -= self._slack[i]
                self._counts[i] = self._slack[i] = 0
                self._starts[i] = False

    def _recount(self, start: int, end: int) -> None:
        # Lines join a segment until it holds SEGMENT_CHARS; a new one starts only at an
        # exact cut, and always at a heading so that sections are sums of stored counts.
        lines = self._lines
        spans = []
        i = start
        while i < end:
            size = len(lines[i])
            j = i + 1
            while j < end:
                line = lines[j]
                if (size >= SEGMENT_CHARS or line.startswith("#")) and is_line_cut(
                    lines[j - 1], line
                ):
                    break
                size += len(line)
                j += 1
            spans.append((i, j))
            i = j
        texts = [lines[i] if j == i + 1 else "".join(lines[i:j]) for i, j in spans]
        counts = self.counter.count_many(texts)  # an opened document's in one call
        for (i, _), count in zip(spans, counts, strict=True):
            self._starts[i] = True
            self._counts[i] = count.tokens
            self._slack[i] = count.bound - count.tokens
            self._tokens += count.tokens
            self._slack_total += self._slack[i]
