"""An open prompt: its document model, settings, frontmatter, and what edits keep.

Headings and parsed references are kept across the common keystroke (an edit that touches
no heading, fence or reference line): only their line numbers move, so a large prompt is
not re-scanned on every key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from tokenls.config import Settings
from tokenls.engine.document import Document, Position
from tokenls.outline import Frontmatter, Heading, Section, could_be_structure, headings, sections
from tokenls.references.parse import Reference, may_reference, parse_references


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
    _references: list[Reference] | None = None
    _reference_syntaxes: tuple[str, ...] = ()
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
            lines = self.document.lines
            if self._headings is None:
                self._headings = headings(lines, self.frontmatter.end)
            self._outline = (self.version, sections(self._headings, len(lines)))
        return self._outline[1]

    def apply(self, change: Change) -> None:
        """Apply one change, keeping the heading and reference lists when it cannot affect
        them (the common keystroke): only their line numbers move."""
        document = self.document
        if change.start is None or change.end is None:
            document.apply_change(change.text, change.start, change.end)
            self._headings = self._references = None
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
        # before and after. A heading or fence line in either invalidates both lists; a
        # reference trigger (#file:, @, {{ ...) invalidates the references.
        a, b = max(l0 - 1, 0), min(l1 + 2, document.line_count)
        before = document.line_count
        old = document.lines[a:b]
        document.apply_change(change.text, change.start, change.end)
        delta = document.line_count - before
        new = document.lines[a : b + delta]
        if any(map(could_be_structure, old)) or any(map(could_be_structure, new)):
            self._headings = self._references = None
            return
        if self._references is not None and (
            any(map(may_reference, old)) or any(map(may_reference, new))
        ):
            self._references = None
        if delta:
            if self._headings is not None:
                self._headings = [
                    h if h.line < b else Heading(h.line + delta, h.level, h.title)
                    for h in self._headings
                ]
            if self._references is not None:
                self._references = [
                    r if r.line < b else dataclasses.replace(r, line=r.line + delta)
                    for r in self._references
                ]

    def references(self, syntaxes: frozenset[str] | tuple[str, ...]) -> list[Reference]:
        """Parsed references (outside code), kept across edits that cannot change them."""
        key = tuple(sorted(syntaxes))
        if self._references is None or self._reference_syntaxes != key:
            self._references = parse_references(self.document.lines, syntaxes, self.frontmatter.end)
            self._reference_syntaxes = key
        return self._references


def uri_to_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))
