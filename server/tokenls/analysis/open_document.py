"""An open prompt: its document model, settings, frontmatter, and what edits keep.

Headings, code fences and parsed references are kept across edits: an edit moves their
line numbers and re-reads only the lines it touched, so a large prompt is not re-scanned on
every key. Every line that may open a fence, be a heading or hold a reference is indexed
once, code or not; an edit that adds, removes or changes a fence (which can turn the rest
of the document into code or back) re-derives them from that index instead of reading the
text again, so typing a fence costs the index, not the document.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import accumulate, groupby
from operator import attrgetter
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from tokenls.config import Settings
from tokenls.document.outline import (
    Frontmatter,
    Heading,
    Section,
    could_be_structure,
    fence_markers,
    line_headings,
    sections,
)
from tokenls.engine.document import Document, Position
from tokenls.references.parse import (
    MAX_PARSED_REFERENCES,
    Reference,
    may_reference,
    parse_references,
)

# The start of every line that may be a heading or a fence (a superset: each is checked).
_STRUCTURE_CANDIDATE = re.compile(r"[\n\r] {0,3}[#`~]")


class ChangeNotApplied(ValueError):
    """A content change that does not fit the text tokenls holds: the copies diverged."""


@dataclass(frozen=True, slots=True)
class Change:
    """One content change: replace ``start``..``end`` (LSP positions) with ``text``."""

    text: str
    start: Position | None = None
    end: Position | None = None


class _Marks:
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
class _Index:
    """Every fence marker and heading-like line, code or not, and (once asked for) every
    reference of one set of syntaxes: what the outline and reference lists derive from."""

    fences: _Marks  # item: the marker (```, ~~~~ ...)
    headings: _Marks  # item: (level, title)
    references: _Marks | None = None  # item: the Reference (its line may be stale)
    # The syntaxes of the indexed references. There are fewer than MAX_PARSED_REFERENCES of
    # them (code included); past that ``references`` is None and lists are parsed from
    # the text up to the cap.
    syntaxes: tuple[str, ...] | None = None


def _index(lines: list[str]) -> _Index:
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
    return _Index(_Marks(fence_lines, fence_items), _Marks(heading_lines, heading_items))


@dataclass(frozen=True, slots=True)
class _Code:
    """Fenced blocks as ``[starts[i], ends[i]]`` (inclusive), in order and disjoint."""

    starts: list[int]
    ends: list[int]

    def __contains__(self, line: int) -> bool:
        at = bisect_right(self.starts, line) - 1
        return at >= 0 and line <= self.ends[at]


_NO_CODE = _Code([], [])


def _code(fences: _Marks, start: int, last: int) -> _Code:
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
    return _Code(starts, ends)


@dataclass(slots=True)
class OpenDocument:
    uri: str
    path: Path | None
    document: Document
    settings: Settings  # its workspace's settings (the frontmatter is read where it applies)
    frontmatter: Frontmatter
    _index: _Index | None = None  # built on the first need, kept by every ranged edit
    _headings: list[Heading] | None = None
    _code: _Code | None = None  # derived from the index when needed
    _references: list[Reference] | None = None
    _reference_syntaxes: tuple[str, ...] = ()
    # The list holds the first MAX_PARSED_REFERENCES only: those after were not read.
    references_capped: bool = False
    _outline: tuple[int, list[Section]] | None = None
    # Why tokenls's copy of the text may differ from the editor's (a change that could not
    # be applied); counts are unknown until the editor sends the whole text again.
    unsynced: str | None = None
    # (local count, exact count) of the last text a provider counted: estimates while
    # typing start from it, so only the change is scaled by the model's ratio.
    exact_anchor: tuple[int, int] | None = None

    @property
    def version(self) -> int:
        return self.document.version

    def sections(self) -> list[Section]:
        if self._outline is None or self._outline[0] != self.version:
            self._outline = (self.version, sections(self.headings(), len(self.document.lines)))
        return self._outline[1]

    def headings(self) -> list[Heading]:
        if self._headings is None:
            lines, items = self._indexed().headings.from_line(self.frontmatter.end)
            code = self._fenced() if lines else _NO_CODE
            self._headings = [
                Heading(line, level, title)
                for line, (level, title) in zip(lines, items, strict=True)
                if line not in code
            ]
        return self._headings

    def fences(self) -> list[tuple[int, int]]:
        """Fenced code blocks as (open line, close line), as ``outline.scan_structure`` finds
        them from the frontmatter's end."""
        code = self._fenced()
        return list(zip(code.starts, code.ends, strict=True))

    def forget_structure(self) -> None:
        """Headings, fences and references are derived again when next needed (the frontmatter
        moved, say); the index of candidate lines stays, as it follows every edit."""
        self._headings = self._code = self._references = None

    def _indexed(self) -> _Index:
        if self._index is None:
            self._index = _index(self.document.lines)
        return self._index

    def _fenced(self) -> _Code:
        if self._code is None:
            last = self.document.line_count - 1
            self._code = _code(self._indexed().fences, self.frontmatter.end, last)
        return self._code

    def apply(self, change: Change) -> None:
        """Apply one change; the heading, fence and reference lists move with it and only
        the touched lines are read again."""
        document = self.document
        if change.start is None or change.end is None:
            document.apply_change(change.text, change.start, change.end)
            self._index = None
            self.forget_structure()
            self.unsynced = None
            return
        if self.unsynced is not None:
            return  # the text is unknown: an edit to it cannot make it known
        for line, column in (change.start, change.end):
            if not 0 <= line <= document.line_count or column < 0:
                raise ChangeNotApplied(
                    f"a change at line {line}, character {column} is outside the "
                    f"{document.line_count}-line document"
                )
        (l0, _), (l1, _) = sorted(
            (document.offset_at(change.start), document.offset_at(change.end))
        )
        # The document re-splits lines [a, b) (one neighbour each side); compare that region
        # before and after.
        a, b = max(l0 - 1, 0), min(l1 + 2, document.line_count)
        before = document.line_count
        old = document.lines[a:b]
        document.apply_change(change.text, change.start, change.end)
        index = self._index
        if index is None:
            return  # nothing was read yet: nothing to keep
        delta = document.line_count - before
        new = document.lines[a : b + delta]
        found_fences = [(a + i, marker) for i, marker in fence_markers(new)]
        old_markers, _ = index.fences.replace(a, b, delta, found_fences)
        # Code begins and ends where it did unless a marker was added, removed or changed.
        code_kept = a > self.frontmatter.end and old_markers == [m for _, m in found_fences]
        # An unclosed fence runs to the last line, which moves with any line added or removed.
        if old_markers or found_fences or (delta and index.fences) or not code_kept:
            self._code = None
        structure = any(map(could_be_structure, old)) or any(map(could_be_structure, new))
        found_headings = (
            [(h.line, (h.level, h.title)) for h in line_headings(new, a)] if structure else []
        )
        old_headings, headings_moved = index.headings.replace(a, b, delta, found_headings)
        if old_headings or found_headings or headings_moved or not code_kept:
            self._headings = None
        self._follow_references(index, old, new, a, b, delta, code_kept)

    def _follow_references(
        self,
        index: _Index,
        old: list[str],
        new: list[str],
        a: int,
        b: int,
        delta: int,
        code_kept: bool,
    ) -> None:
        """Keep the reference index and list across an edit of lines [a, b) → new."""
        touched = any(map(may_reference, old)) or any(map(may_reference, new))
        syntaxes = self._reference_syntaxes
        parsed: list[Reference] | None = None
        if touched and (index.references is not None or self._references is not None):
            parsed = parse_references(new, syntaxes, 0, [], None)
            if a:
                parsed = [_at(r, r.line + a) for r in parsed]
        if index.references is not None:
            index.references.replace(a, b, delta, [(r.line, r) for r in parsed or ()])
            if len(index.references) >= MAX_PARSED_REFERENCES:
                index.references = None
        if self._references is None:
            return
        if not code_kept:
            self._references = None  # derived again from the index (or the text) when asked
            return
        if self.references_capped:
            # The first references, up to the cap: an edit after the last of them leaves
            # them as they are; one before may let others in, so they are read again.
            if not self._references or a <= self._references[-1].line:
                self._references = None
            return
        if parsed is not None:
            code = self._fenced() if parsed else _NO_CODE
            kept = [r for r in parsed if r.line not in code]
            spliced = _spliced(self._references, kept, a, b, delta)
            if max(len(parsed), len(spliced)) >= MAX_PARSED_REFERENCES:
                self._references = None  # past the cap: read again up to it
            else:
                self._references = spliced
        elif delta:
            self._references = _spliced(self._references, [], a, b, delta)

    def references(self, syntaxes: frozenset[str] | tuple[str, ...]) -> list[Reference]:
        """Parsed references (outside code), kept across edits that cannot change them."""
        key = tuple(sorted(syntaxes))
        if self._references is None or self._reference_syntaxes != key:
            index = self._indexed()
            if index.syntaxes != key:
                index.syntaxes, index.references = key, None
                everything = parse_references(
                    self.document.lines, key, 0, [], MAX_PARSED_REFERENCES
                )
                if len(everything) < MAX_PARSED_REFERENCES:
                    index.references = _Marks([r.line for r in everything], everything)
            self._reference_syntaxes = key
            start = self.frontmatter.end
            if index.references is not None:
                lines, refs = index.references.from_line(start)
                code = self._fenced() if lines else _NO_CODE
                self._references = [
                    ref if ref.line == line else _at(ref, line)
                    for line, ref in zip(lines, refs, strict=True)
                    if line not in code
                ]
            else:
                self._references = parse_references(
                    self.document.lines, key, start, self.fences(), MAX_PARSED_REFERENCES
                )
            self.references_capped = len(self._references) >= MAX_PARSED_REFERENCES
        return self._references


_LINE = attrgetter("line")


def _at(ref: Reference, line: int) -> Reference:
    return Reference(ref.kind, ref.syntax, ref.target, line, ref.start, ref.end)


def _spliced(
    items: list[Reference], found: list[Reference], a: int, b: int, delta: int
) -> list[Reference]:
    """``items`` (sorted by line) with those on lines [a, b) replaced by ``found`` (lines
    already absolute, outside code) and those from ``b`` on moved by ``delta``."""
    i = bisect_left(items, a, key=_LINE)
    j = bisect_left(items, b, i, key=_LINE)
    tail = items[j:]
    if delta:
        tail = [_at(r, r.line + delta) for r in tail]
    return items[:i] + found + tail


def uri_to_path(uri: str) -> Path | None:
    """The local file a URI names; None for other schemes and for another machine's file."""
    parsed = urlparse(uri)
    if parsed.scheme != "file" or remote_host(uri) is not None:
        return None
    return Path(unquote(parsed.path))


def remote_host(uri: str) -> str | None:
    """The machine a ``file://host/...`` URI names when it is not this one: its path is
    a path there, and reading the same path here would read another file."""
    parsed = urlparse(uri)
    if parsed.scheme != "file" or parsed.netloc.lower() in ("", "localhost"):
        return None
    return parsed.netloc
