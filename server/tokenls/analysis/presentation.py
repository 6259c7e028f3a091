"""What to show for an analysed document: inlay hints, findings, hover, the status payload.

Plain values in the negotiated position encoding; ``tokenls.lsp.convert`` turns them into
protocol types, and the command line prints findings as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tokenls.analysis import views
from tokenls.analysis.analyse import Analysis
from tokenls.analysis.open_document import OpenDocument
from tokenls.cache.token_cache import CacheStats
from tokenls.document.outline import Section, paragraph_at
from tokenls.engine.counting import Count
from tokenls.engine.document import Position
from tokenls.engine.text import index_to_column, line_body
from tokenls.providers.calibration import ratio_for
from tokenls.references.resolve import Resolved
from tokenls.workspace.budget import Severity


@dataclass(frozen=True, slots=True)
class Hint:
    line: int
    column: int
    label: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Finding:
    """A diagnostic in core terms: lines and columns in the negotiated encoding."""

    start: Position
    end: Position
    severity: Severity
    message: str
    code: str


def findings(doc: OpenDocument, analysis: Analysis) -> list[Finding]:
    if doc.unsynced is not None:
        return [Finding((0, 0), (0, 0), Severity.WARNING, unsynced(doc.unsynced), "unsynced")]
    result: list[Finding] = []
    if analysis.finding is not None and analysis.finding_line is not None:
        f = analysis.finding
        result.append(
            Finding((analysis.finding_line, 0), end_position(doc), f.severity, f.message, "budget")
        )
    for problem in analysis.problems:
        first = doc.document.lines[0] if doc.document.lines else ""
        end = (0, column(doc, first, len(line_body(first))))
        result.append(Finding((0, 0), end, Severity.WARNING, problem, "frontmatter"))
    for ref in analysis.references:
        if ref.status == "ok" and not ref.error:
            continue
        severity = Severity.INFORMATION if ref.status == "unbound" else Severity.WARNING
        code = "unbound-variable" if ref.status == "unbound" else "reference"
        message = ref.error or "not counted"
        if ref.status == "error":
            message = f"{ref.reference.target}: {message} — not counted"
        elif ref.status == "ok":
            message = f"{ref.reference.target}: {message}"  # counted, with a caveat (cycle)
        else:
            message = f"{{{{{ref.reference.target}}}}}: {message}"
        start, end = reference_range(doc, ref)
        result.append(Finding(start, end, severity, message, code))
    return result


def hints(doc: OpenDocument, analysis: Analysis, start_line: int, end_line: int) -> list[Hint]:
    """Inlay hints on lines ``[start_line, end_line]`` for the configured granularity."""
    level = doc.settings.inlay_hints
    if level == "off" or not doc.document.lines:
        return []
    if doc.unsynced is not None:
        return [_hint(doc, 0, "? tok", "total")] if start_line <= 0 <= end_line else []
    found: list[Hint] = []
    if start_line <= 0 <= end_line:
        found.append(_hint(doc, 0, total_label(analysis), "total"))
    if level in ("sections", "all"):
        for section in doc.sections():
            line = section.heading.line
            if start_line <= line <= end_line and line != 0:
                count = section_count(doc, analysis, section)
                found.append(_hint(doc, line, count.label(), "section"))
    if level == "all":
        for index, ref in enumerate(analysis.references):
            if start_line <= ref.reference.line <= end_line:
                found.append(_reference_hint(doc, ref, index))
    found.sort(key=lambda h: (h.line, h.column))
    return found


def hint_tooltip(
    doc: OpenDocument,
    analysis: Analysis,
    data: Mapping[str, Any],
    rate_lines: Sequence[str],
    stats: CacheStats,
) -> str | None:
    """Markdown detail for a hint, computed only when the editor asks (resolve)."""
    if doc.unsynced is not None:
        return unsynced(doc.unsynced)
    line, index = data.get("line"), data.get("index")
    if data.get("kind") == "reference" and isinstance(index, int):
        if 0 <= index < len(analysis.references):
            return views.reference_markdown(doc, analysis.references[index], rate_lines, stats)
        return None
    if data.get("kind") == "section" and isinstance(line, int):
        section = section_at(doc, line)
        if section is not None:
            count = section_count(doc, analysis, section)
            return views.section_markdown(doc, analysis, section, count)
    return views.total_markdown(doc, analysis)


def hover(
    doc: OpenDocument,
    analysis: Analysis,
    line: int,
    character: int,
    rate_lines: Sequence[str],
    stats: CacheStats,
) -> str | None:
    """Markdown for a hover: a reference, a heading's section, else the paragraph."""
    if doc.unsynced is not None:
        return unsynced(doc.unsynced)
    if not 0 <= line < doc.document.line_count:
        return None
    _, index = doc.document.offset_at((line, character))
    for ref in analysis.references:
        if ref.reference.line == line and ref.reference.start <= index <= ref.reference.end:
            return views.reference_markdown(doc, ref, rate_lines, stats)
    section = section_at(doc, line)
    if section is not None:
        count = section_count(doc, analysis, section)
        return views.section_markdown(doc, analysis, section, count)
    start, end = paragraph_at(doc.document.lines, line)
    if start == end:
        return None
    count = part_count(doc, analysis, doc.document.count_lines(start, end))
    what = "Line" if end - start == 1 else f"Paragraph (lines {start + 1}–{end})"
    parts = [
        f"**{what}: {count.label()}**",
        views.estimate_note(analysis),
        views.shares(count, analysis),
    ]
    return "\n\n".join(p for p in parts if p)


def document_tokens(doc: OpenDocument, analysis: Analysis) -> dict[str, Any]:
    """The payload of the ``tokenls/documentTokens`` request (and ``count --json``)."""
    level = analysis.finding.severity.name.lower() if analysis.finding else "ok"
    result: dict[str, Any] = {
        "uri": doc.uri,
        "encoding": analysis.encoding,
        "tokens": analysis.total.tokens,
        "ownTokens": analysis.own.tokens,
        "exact": analysis.total.exact,
        "budget": analysis.budget.tokens if analysis.budget else None,
        "budgetSource": analysis.budget.source if analysis.budget else None,
        "level": level,
        "references": [reference_json(doc, ref) for ref in analysis.references],
    }
    if not analysis.total.exact:
        result["upperBound"] = analysis.total.bound
    if analysis.model:
        result["model"] = analysis.model
    if analysis.why:
        result["why"] = analysis.why  # which encoding, model and budget, and where from
    if analysis.notes:
        result["reason"] = "; ".join(analysis.notes)
    if analysis.pending:
        result["pending"] = True
    if analysis.skipped_references:  # the last reference listed stands for them all
        result["referencesSkipped"] = analysis.skipped_references
        if analysis.references_unread:  # and those past the first 100,000, not even read
            result["referencesUnread"] = True
    if doc.unsynced is not None:  # the last known counts, flagged as such
        result.update(exact=False, level="unknown", error=unsynced(doc.unsynced))
    return result


def unsynced(reason: str) -> str:
    """Why a document shows no counts: tokenls's copy of its text may differ from the editor's."""
    return (
        f"token counts unknown: {reason}; they return when the editor sends the whole "
        "text again (close and reopen the file)"
    )


def reference_json(doc: OpenDocument, ref: Resolved) -> dict[str, Any]:
    start, end = reference_range(doc, ref)
    return {
        "target": ref.target or ref.reference.target,
        "kind": ref.reference.kind,
        "range": {
            "start": {"line": start[0], "character": start[1]},
            "end": {"line": end[0], "character": end[1]},
        },
        "tokens": ref.tokens if ref.counts else 0,
        "status": ref.status if ref.status in ("ok", "pending") else "error",
        "error": ref.error,
        "duplicate": ref.duplicate,  # the target counted already, at an earlier reference
        "countedOnce": ref.duplicate,  # its former name, kept through schema_version 1
        "source": ref.source,
    }


def total_label(analysis: Analysis) -> str:
    """``1,234 tok``; an estimate from a model's ratio adds its error: ``≈1,604 tok ±15%``."""
    label = analysis.total.label()
    ratio = ratio_for(analysis.model) if analysis.model else None
    if ratio is not None and not analysis.total.exact:
        label += f" ±{ratio.error:.0%}"
    return label


def part_count(doc: OpenDocument, analysis: Analysis, count: Count) -> Count:
    """A part of the document, in the document's terms: scaled for an estimated model,
    and marked inexact where the tokenizer's counts of parts need not add up."""
    if analysis.ratio is not None:
        return analysis.scaled(count)
    if not doc.document.counter.additive:
        return Count(count.tokens, exact=False, upper=count.bound)
    return count


def section_count(doc: OpenDocument, analysis: Analysis, section: Section) -> Count:
    """A section's own lines in the document's terms, plus its references as shown (each
    already in those terms)."""
    count = part_count(doc, analysis, doc.document.count_lines(section.heading.line, section.end))
    for ref in analysis.references:
        if section.heading.line <= ref.reference.line < section.end and ref.counts:
            count = count + Count(ref.tokens, ref.exact, None if ref.exact else ref.tokens)
    return count


def section_at(doc: OpenDocument, line: int) -> Section | None:
    return next((s for s in doc.sections() if s.heading.line == line), None)


def reference_range(doc: OpenDocument, ref: Resolved) -> tuple[Position, Position]:
    r = ref.reference
    text = doc.document.lines[r.line]
    return (r.line, column(doc, text, r.start)), (r.line, column(doc, text, r.end))


def lsp_position(doc: OpenDocument, line: int, index: int) -> Position:
    """A (line, string index) as a position in the negotiated encoding."""
    lines = doc.document.lines
    if line >= len(lines):
        return (line, 0)
    return (line, column(doc, lines[line], index))


def column(doc: OpenDocument, line: str, index: int) -> int:
    return index_to_column(line, index, doc.document.position_encoding)


def end_position(doc: OpenDocument) -> Position:
    lines = doc.document.lines
    if not lines:
        return (0, 0)
    last = lines[-1]
    if last.endswith(("\n", "\r")):
        return (len(lines), 0)
    return (len(lines) - 1, column(doc, last, len(last)))


def _reference_hint(doc: OpenDocument, ref: Resolved, index: int) -> Hint:
    if ref.status == "pending":
        label = "… tok"
    elif ref.status != "ok":
        label = "not counted"
    elif ref.duplicate:
        label = "counted above"
    else:
        label = "+" + Count(ref.tokens, ref.exact, None if ref.exact else ref.tokens).label()
    _, (line, col) = reference_range(doc, ref)
    data = {"uri": doc.uri, "kind": "reference", "index": index, "version": doc.version}
    return Hint(line, col, label, data)


def _hint(doc: OpenDocument, line: int, label: str, kind: str) -> Hint:
    text = doc.document.lines[line]
    data = {"uri": doc.uri, "kind": kind, "line": line, "version": doc.version}
    return Hint(line, column(doc, text, len(line_body(text))), label, data)
