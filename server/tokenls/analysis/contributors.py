"""Where a prompt's tokens are: its sections and references, biggest first.

When ``tokenls check`` finds a prompt over budget the next question is what to cut. Each
Markdown section's own text (its heading up to the next heading of any level) and each
counted reference is one contributor, so contributors do not overlap and their tokens add
up to about the total (counts of separate pieces can differ by a token at each seam).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenls.analysis.analyse import Analysis
    from tokenls.analysis.open_document import OpenDocument

BEFORE_FIRST_HEADING = "text before the first heading"


@dataclass(frozen=True, slots=True)
class Contributor:
    kind: str  # "section" or "reference"
    label: str  # "## Examples", or the referenced file or URL
    line: int  # 0-based line where it starts
    tokens: int

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "label": self.label,
            "line": self.line + 1,
            "tokens": self.tokens,
        }


def biggest_contributors(
    doc: OpenDocument, analysis: Analysis, limit: int = 5
) -> list[Contributor]:
    """The ``limit`` biggest sections and references of an open prompt."""
    found: list[Contributor] = []
    line_count = len(doc.document.lines)
    heads = sorted((s.heading for s in doc.sections()), key=lambda h: h.line)
    starts = [h.line for h in heads] + [line_count]
    if starts[0] > 0:
        found.append(_section(doc, analysis, BEFORE_FIRST_HEADING, 0, starts[0]))
    for heading, end in zip(heads, starts[1:], strict=True):
        label = f"{'#' * heading.level} {heading.title}".rstrip()
        found.append(_section(doc, analysis, label, heading.line, end))
    for ref in analysis.references:
        if ref.counts and ref.tokens:
            label = display_target(ref.target or ref.reference.target)
            found.append(Contributor("reference", label, ref.reference.line, ref.tokens))
    found.sort(key=lambda c: (-c.tokens, c.line))
    return [c for c in found if c.tokens][:limit]


def _section(
    doc: OpenDocument, analysis: Analysis, label: str, start: int, end: int
) -> Contributor:
    """A section's own text, in the terms of the total (an estimate's, when it is one)."""
    count = analysis.scaled(doc.document.count_lines(start, end))
    return Contributor("section", label, start, count.tokens)


def display_target(target: str) -> str:
    """A referenced file relative to the working directory when it is below it."""
    if "://" in target or not os.path.isabs(target):
        return target
    try:
        return Path(target).relative_to(Path.cwd()).as_posix()
    except ValueError:
        return target
