"""An open prompt: its document model, settings, frontmatter, and what edits keep.

Headings, code fences and parsed references are kept across edits: an edit moves their
line numbers and re-reads only the lines it touched, so a large prompt is not re-scanned on
every key. Only an edit to a fence line (which can turn the rest of the document into code
or back) or to the frontmatter makes them be read again from the top.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from tokenls.config import Settings
from tokenls.engine.document import Document, Position
from tokenls.outline import (
    Frontmatter,
    Heading,
    Section,
    could_be_fence,
    could_be_structure,
    fence_markers,
    line_headings,
    scan_structure,
    sections,
)
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
    _headings: list[Heading] | None = None
    _fences: list[tuple[int, int]] | None = None  # known whenever _headings is
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
            structure = scan_structure(self.document.lines, self.frontmatter.end)
            self._headings, self._fences = structure.headings, structure.fences
        return self._headings

    def forget_structure(self) -> None:
        """Headings, fences and references are read again from the top when next needed."""
        self._headings = self._fences = self._references = None

    def apply(self, change: Change) -> None:
        """Apply one change; the heading, fence and reference lists move with it and only
        the touched lines are read again."""
        document = self.document
        if change.start is None or change.end is None:
            document.apply_change(change.text, change.start, change.end)
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
        delta = document.line_count - before
        new = document.lines[a : b + delta]
        fences_kept = not any(map(could_be_fence, old + new)) or (
            delta == 0 and fence_markers(old) == fence_markers(new)
        )
        if a <= self.frontmatter.end or not fences_kept:
            self.forget_structure()  # code may have begun or ended anywhere below
            return
        if self._headings is not None:
            last = document.line_count - 1
            lines = document.lines
            self._fences = [_moved(f, a, b, delta, last, lines) for f in self._fences or ()]
            if any(map(could_be_structure, old)) or any(map(could_be_structure, new)):
                self._headings = _spliced(
                    self._headings,
                    line_headings(new, a),
                    a,
                    b,
                    delta,
                    self._fences,
                )
            elif delta:
                self._headings = [
                    h if h.line < b else Heading(h.line + delta, h.level, h.title)
                    for h in self._headings
                ]
        elif self._references is not None and delta:
            self._references = None  # references need the fences: read them afresh
        if self._references is not None and self.references_capped:
            # The first references, up to the cap: an edit after the last of them leaves
            # them as they are; one before may let others in, so they are read again.
            if not self._references or a <= self._references[-1].line:
                self._references = None
            return
        if self._references is not None:
            if any(map(may_reference, old)) or any(map(may_reference, new)):
                parsed = parse_references(
                    new, self._reference_syntaxes, 0, [], MAX_PARSED_REFERENCES
                )
                found_refs = [dataclasses.replace(r, line=r.line + a) for r in parsed]
                spliced = _spliced(self._references, found_refs, a, b, delta, self._fences or [])
                if max(len(parsed), len(spliced)) >= MAX_PARSED_REFERENCES:
                    self._references = None  # past the cap: read again up to it
                else:
                    self._references = spliced
            elif delta:
                self._references = [
                    r if r.line < b else dataclasses.replace(r, line=r.line + delta)
                    for r in self._references
                ]

    def references(self, syntaxes: frozenset[str] | tuple[str, ...]) -> list[Reference]:
        """Parsed references (outside code), kept across edits that cannot change them."""
        key = tuple(sorted(syntaxes))
        if self._references is None or self._reference_syntaxes != key:
            self.headings()  # scans the fences too
            self._references = parse_references(
                self.document.lines,
                syntaxes,
                self.frontmatter.end,
                self._fences,
                MAX_PARSED_REFERENCES,
            )
            self.references_capped = len(self._references) >= MAX_PARSED_REFERENCES
            self._reference_syntaxes = key
        return self._references


def _moved(
    fence: tuple[int, int], a: int, b: int, delta: int, last: int, lines: list[str]
) -> tuple[int, int]:
    start, end = fence
    if a <= end < b and not could_be_fence(lines[end]):
        return start, last  # it ended on no fence line: an unclosed fence, to the end
    return (start + delta if start >= b else start, end + delta if end >= b else end)


def _spliced(
    items: list[Any], found: list[Any], a: int, b: int, delta: int, fences: list[tuple[int, int]]
) -> list[Any]:
    """``items`` (sorted by line) with those on lines [a, b) replaced by ``found`` (lines
    already absolute, outside code kept) and those from ``b`` on moved by ``delta``."""
    kept = [x for x in found if not any(s <= x.line <= e for s, e in fences)]
    head = [x for x in items if x.line < a]
    tail = [x for x in items if x.line >= b]
    if delta:
        tail = [dataclasses.replace(x, line=x.line + delta) for x in tail]
    return head + kept + tail


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
