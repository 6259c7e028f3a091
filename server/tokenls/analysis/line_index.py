"""The index an open document keeps of its lines: heading and fence marks, kept by each
ranged edit, so the outline and the code blocks are found again without a full scan."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import accumulate, groupby
from typing import Any

from tokenls.document.outline import (
    could_be_structure,
    fence_markers,
    line_headings,
)

# The start of every line that may be a heading or a fence (a superset: each is checked).
_STRUCTURE_CANDIDATE = re.compile(r"[\n\r] {0,3}[#`~]")


class Marks:
    """Sorted line numbers, each with an item, kept in blocks that carry a line offset
    each: an edit moves every later mark by changing one number per block (a fence-heavy
    10 MB prompt has tens of thousands of marks), and reads only the lines it touched."""

    BLOCK = 256

    def __init__(self, lines: list[int] | None = None, items: list[Any] | None = None) -> None:
        self._offsets: list[int] = []
        self._lines: list[list[int]] = []  # each block's lines, less its offset
        self._items: list[list[Any]] = []
        self._size = 0
        if lines:
            self._offsets, self._lines, self._items = self._blocks(lines, items or [])
            self._size = len(lines)

    def __len__(self) -> int:
        return self._size

    def _blocks(
        self, lines: list[int], items: list[Any]
    ) -> tuple[list[int], list[list[int]], list[list[Any]]]:
        starts = range(0, len(lines), self.BLOCK)
        return (
            [0] * len(starts),
            [lines[i : i + self.BLOCK] for i in starts],
            [items[i : i + self.BLOCK] for i in starts],
        )

    def _firsts(self) -> list[int]:
        return [offset + lines[0] for offset, lines in zip(self._offsets, self._lines, strict=True)]

    def _flat(self, k0: int, k1: int) -> tuple[list[int], list[Any]]:
        """The marks of blocks ``[k0, k1)`` as absolute lines, and their items."""
        lines: list[int] = []
        items: list[Any] = []
        for k in range(k0, k1):
            offset = self._offsets[k]
            lines.extend([offset + line for line in self._lines[k]] if offset else self._lines[k])
            items.extend(self._items[k])
        return lines, items

    def replace(
        self, a: int, b: int, delta: int, found: list[tuple[int, Any]]
    ) -> tuple[list[Any], bool]:
        """Marks on lines ``[a, b)`` become ``found`` (absolute lines of the new text) and
        later ones move by ``delta``; the items replaced, and whether any mark moved."""
        offsets = self._offsets
        firsts = self._firsts()
        k0 = max(bisect_left(firsts, a) - 1, 0)  # the block that may hold the first mark >= a
        k1 = max(bisect_left(firsts, b), k0 + 1) if offsets else 0  # blocks past k1 move whole
        lines, items = self._flat(k0, k1)
        i = bisect_left(lines, a)
        j = bisect_left(lines, b, i)
        old = items[i:j]
        moved = bool(delta) and (j < len(lines) or k1 < len(offsets))
        if not (found or old or moved):
            return old, False
        tail = [line + delta for line in lines[j:]] if delta else lines[j:]
        lines = lines[:i] + [line for line, _ in found] + tail
        items = items[:i] + [item for _, item in found] + items[j:]
        if delta:
            offsets[k1:] = [offset + delta for offset in offsets[k1:]]
        new_offsets, new_lines, new_items = self._blocks(lines, items)
        offsets[k0:k1] = new_offsets
        self._lines[k0:k1] = new_lines
        self._items[k0:k1] = new_items
        self._size += len(found) - len(old)
        if len(offsets) > 2 * (self._size // self.BLOCK) + 8:  # many small blocks: regroup
            everything = self._flat(0, len(offsets))
            self._offsets, self._lines, self._items = self._blocks(*everything)
        return old, moved

    def from_line(self, start: int) -> tuple[list[int], list[Any]]:
        """The marks on line ``start`` and after, and their items."""
        k0 = max(bisect_left(self._firsts(), start) - 1, 0)
        lines, items = self._flat(k0, len(self._offsets))
        i = bisect_left(lines, start)
        return lines[i:], items[i:]


@dataclass(slots=True)
class LineIndex:
    """Every fence marker and heading-like line, code or not, and (once asked for) every
    reference of one set of syntaxes: what the outline and reference lists derive from."""

    fences: Marks  # item: the marker (```, ~~~~ ...)
    headings: Marks  # item: (level, title)
    references: Marks | None = None  # item: the Reference (its line may be stale)
    # The syntaxes of the indexed references. There are fewer than MAX_PARSED_REFERENCES of
    # them (code included); past that ``references`` is None and lists are parsed from
    # the text up to the cap.
    syntaxes: tuple[str, ...] | None = None


def index_lines(lines: list[str]) -> LineIndex:
    """One pass over the text for fence markers and heading-like lines."""
    text = "\n" + "".join(lines)  # the leading break makes line 0 a candidate too
    offsets = list(accumulate(map(len, lines), initial=0))
    fence_lines: list[int] = []
    fence_items: list[str] = []
    heading_lines: list[int] = []
    heading_items: list[tuple[int, str]] = []
    for candidate in _STRUCTURE_CANDIDATE.finditer(text):
        # With the break prepended, a match starts where its line starts in the original.
        index = bisect_right(offsets, candidate.start()) - 1
        line = lines[index]
        if not could_be_structure(line):
            continue
        marker = fence_markers((line,))
        if marker:
            fence_lines.append(index)
            fence_items.append(marker[0][1])
            continue
        for heading in line_headings((line,), index):
            heading_lines.append(index)
            heading_items.append((heading.level, heading.title))
    return LineIndex(Marks(fence_lines, fence_items), Marks(heading_lines, heading_items))


@dataclass(frozen=True, slots=True)
class CodeBlocks:
    """Fenced blocks as ``[starts[i], ends[i]]`` (inclusive), in order and disjoint."""

    starts: list[int]
    ends: list[int]

    def __contains__(self, line: int) -> bool:
        at = bisect_right(self.starts, line) - 1
        return at >= 0 and line <= self.ends[at]


NO_CODE = CodeBlocks([], [])


def code_blocks(fences: Marks, start: int, last: int) -> CodeBlocks:
    """Fenced blocks from line ``start`` on, paired as ``outline.scan_structure`` pairs them.

    Markers come in runs of one kind (most prompts use only ```), and within a run blocks
    alternate open and close: each run is sliced whole, so a document with thousands of
    blocks is paired at C speed after every fence typed."""
    lines, markers = fences.from_line(start)
    starts: list[int] = []
    ends: list[int] = []
    fence: str | None = None  # the marker of the block open before the run
    i = 0
    for marker, run in groupby(markers):
        j = i + len(list(run))  # this run is markers[i:j]
        k = i
        if fence is not None:
            if marker[0] != fence[0] or len(marker) < len(fence):
                i = j
                continue  # the whole run is inside the open block
            ends.append(lines[i])
            fence = None
            k = i + 1
        starts.extend(lines[k : j - 1 : 2])
        ends.extend(lines[k + 1 : j : 2])
        if (j - k) % 2:
            fence = marker
            starts.append(lines[j - 1])
        i = j
    if fence is not None:
        ends.append(last)  # an unclosed fence runs to the end
    return CodeBlocks(starts, ends)
