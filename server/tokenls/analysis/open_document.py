"""An open prompt: its document model, settings, frontmatter, and what edits keep.

Headings, code fences and parsed references are kept across edits: an edit moves their
line numbers and re-reads only the lines it touched, so a large prompt is not re-scanned on
every key. Every line that may open a fence, be a heading or hold a reference is indexed
once, code or not; an edit that adds, removes or changes a fence (which can turn the rest
of the document into code or back) re-derives them from that index instead of reading the
text again, so typing a fence costs the index, not the document.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from urllib.parse import unquote, urlparse

from tokenls.analysis.line_index import (
    NO_CODE,
    CodeBlocks,
    LineIndex,
    Marks,
    code_blocks,
    index_lines,
)
from tokenls.config import Settings
from tokenls.document.outline import (
    Frontmatter,
    Heading,
    Section,
    could_be_structure,
    fence_markers,
    line_headings,
    read_frontmatter,
    sections,
)
from tokenls.engine.document import Document, Position
from tokenls.references.parse import (
    MAX_PARSED_REFERENCES,
    Reference,
    may_reference,
    parse_references,
)


class ChangeNotApplied(ValueError):
    """A content change that does not fit the text tokenls holds: the copies diverged."""


@dataclass(frozen=True, slots=True)
class Change:
    """One content change: replace ``start``..``end`` (LSP positions) with ``text``."""

    text: str
    start: Position | None = None
    end: Position | None = None


@dataclass(slots=True)
class OpenDocument:
    uri: str
    path: Path | None
    document: Document
    settings: Settings  # its workspace's settings (the frontmatter is read where it applies)
    frontmatter: Frontmatter
    _index: LineIndex | None = None  # built on the first need, kept by every ranged edit
    _headings: list[Heading] | None = None
    _code: CodeBlocks | None = None  # derived from the index when needed
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

    @classmethod
    def of_file(cls, path: Path, document: Document, settings: Settings) -> OpenDocument:
        """A file counted outside an editor, its frontmatter read from the document."""
        real = path.resolve()
        return cls(real.as_uri(), real, document, settings, read_frontmatter(document.lines))

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
            code = self._fenced() if lines else NO_CODE
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

    def _indexed(self) -> LineIndex:
        if self._index is None:
            self._index = index_lines(self.document.lines)
        return self._index

    def _fenced(self) -> CodeBlocks:
        if self._code is None:
            last = self.document.line_count - 1
            self._code = code_blocks(self._indexed().fences, self.frontmatter.end, last)
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
        index: LineIndex,
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
            code = self._fenced() if parsed else NO_CODE
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
                    index.references = Marks([r.line for r in everything], everything)
            self._reference_syntaxes = key
            start = self.frontmatter.end
            if index.references is not None:
                lines, refs = index.references.from_line(start)
                code = self._fenced() if lines else NO_CODE
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
