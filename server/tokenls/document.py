"""A text document that keeps its token count exact across incremental edits.

The text is held as lines, grouped into segments that begin at exact cuts (the line rule of
``tokenls.cuts``); each segment's count is stored on its first line. An edit re-splits the
touched lines, then re-counts only the segments around them, so the total stays equal to
``len(enc.encode_ordinary(document.text))`` while a keystroke costs a few small encodes.
Markdown headings always begin a segment, which makes section counts exact sums too.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import accumulate

from tokenls.counting import Count, Counter
from tokenls.cuts import is_line_cut
from tokenls.text import PositionEncoding, column_to_index, split_lines

Position = tuple[int, int]


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
        self._counts: list[int] = []
        self._slack: list[int] = []  # upper bound minus count, for inexact segments
        self._tokens = 0
        self._slack_total = 0
        self._text: str | None = None
        self._prefix: tuple[list[int], list[int]] | None = None
        self.apply_change(text)

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
        if self._slack_total == 0:
            return Count(self._tokens)
        return Count(self._tokens, exact=False, upper=self._tokens + self._slack_total)

    def is_segment_start(self, index: int) -> bool:
        if index <= 0:
            return True
        if index >= len(self._lines):
            return True
        return is_line_cut(self._lines[index - 1], self._lines[index])

    def count_lines(self, start: int, end: int) -> Count:
        """Tokens of lines ``[start, end)`` counted on their own (exact, like all counts)."""
        start = max(start, 0)
        end = min(end, len(self._lines))
        if start >= end:
            return Count(0)
        first = start
        while first < end and not self.is_segment_start(first):
            first += 1
        last = end
        while last > first and not self.is_segment_start(last):
            last -= 1
        if first >= last:
            return self.counter.count("".join(self._lines[start:end]))
        tokens, slack = self._prefix_sums()
        inner_slack = slack[last] - slack[first]
        middle = Count(
            tokens[last] - tokens[first],
            inner_slack == 0,
            None if inner_slack == 0 else tokens[last] - tokens[first] + inner_slack,
        )
        head = self.counter.count("".join(self._lines[start:first]))
        tail = self.counter.count("".join(self._lines[last:end]))
        return head + middle + tail

    def line_reaching(self, tokens: int) -> int:
        """The first line whose segment brings the running count to ``tokens`` or more."""
        prefix, _ = self._prefix_sums()
        index = bisect_left(prefix, tokens)
        return min(max(index - 1, 0), max(len(self._lines) - 1, 0))

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
        self._text = None
        self._prefix = None
        if start is None or end is None:
            self._lines = split_lines(new_text)
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
        self._counts[a:b] = [0] * len(replacement)
        self._slack[a:b] = [0] * len(replacement)
        # Segment starts before ``a`` are unchanged, so the nearest one bounds the recount;
        # the first line after the replacement may gain or lose its start, so it is included.
        s = a - 1
        while s > 0 and not self.is_segment_start(s):
            s -= 1
        s = max(s, 0)
        e = min(a + len(replacement) + 1, len(self._lines))
        while e < len(self._lines) and not self.is_segment_start(e):
            e += 1
        self._drop(s, e)
        self._recount(s, e)

    def _drop(self, start: int, end: int) -> None:
        for i in range(start, end):
            if self._counts[i] or self._slack[i]:
                self._tokens -= self._counts[i]
                self._slack_total -= self._slack[i]
                self._counts[i] = self._slack[i] = 0

    def _recount(self, start: int, end: int) -> None:
        lines = self._lines
        i = start
        while i < end:
            j = i + 1
            while j < end and not is_line_cut(lines[j - 1], lines[j]):
                j += 1
            count = self.counter.count(lines[i] if j == i + 1 else "".join(lines[i:j]))
            self._counts[i] = count.tokens
            self._slack[i] = count.bound - count.tokens
            self._tokens += count.tokens
            self._slack_total += self._slack[i]
            i = j
