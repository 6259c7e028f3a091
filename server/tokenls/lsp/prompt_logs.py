"""The logs of a prompt, as a compress-log offer sees them: fenced log blocks and
referenced log files.

Which fenced blocks hold a log is ``tokenls.compress.pasted``'s call (the fence's language
is the user's word); a referenced file is a log by its name, and a log's compressed copy is
never one again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tokenls.analysis.analyse import Analysis
from tokenls.analysis.open_document import OpenDocument
from tokenls.compress.pasted import fenced_logs, is_log_block
from tokenls.document.outline import scan_structure
from tokenls.references.resolve import Resolved

_LOG_NAME = re.compile(
    r"\.(?:log|out|err|txt)$|(?:^|[/_.-])(?:log|logs|output|ci|build)(?:[/_.-]|$)", re.I
)


@dataclass(frozen=True, slots=True)
class PastedLog:
    start: int  # first line of the block's body
    end: int  # the closing fence's line (exclusive end of the body)
    tokens: int


@dataclass(frozen=True, slots=True)
class ReferencedLog:
    mentions: tuple[Resolved, ...]  # every reference to the file (it counts once)
    tokens: int


@dataclass(frozen=True, slots=True)
class PromptLogs:
    """Every log of a prompt as an offer saw it: fenced blocks, then referenced files."""

    pasted: tuple[PastedLog, ...]
    referenced: tuple[ReferencedLog, ...]

    def costs(self) -> list[int]:
        return [p.tokens for p in self.pasted] + [r.tokens for r in self.referenced]


def prompt_logs(doc: OpenDocument, analysis: Analysis) -> PromptLogs:
    lines = doc.document.lines
    pasted = tuple(
        PastedLog(a, b, doc.document.count_lines(a, b).tokens)
        for a, b in all_fenced_logs(lines, fences_of(doc))
    )
    by_target: dict[str, list[Resolved]] = {}
    for ref in analysis.references:
        if is_log_reference(ref):
            by_target.setdefault(ref.target, []).append(ref)
    referenced = tuple(
        ReferencedLog(tuple(refs), next((r.tokens for r in refs if not r.duplicate), 0))
        for refs in by_target.values()
    )
    return PromptLogs(pasted, referenced)


def fenced_log_at(
    lines: Sequence[str], fences: Sequence[tuple[int, int]], line: int
) -> tuple[int, int] | None:
    """The body ``[start, end)`` of the fenced log block that holds ``line``, if any."""
    for open_line, close_line in fences:
        if open_line <= line <= close_line and is_log_block(lines, open_line, close_line):
            return open_line + 1, close_line
    return None


def all_fenced_logs(
    lines: Sequence[str], fences: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    return fenced_logs(lines, fences)


def is_log_reference(ref: Resolved) -> bool:
    return (
        ref.status == "ok"
        and ref.reference.kind == "file"
        and bool(_LOG_NAME.search(Path(ref.target).name))
        and not ref.target.endswith(".compressed.log")
    )


def fences_of(doc: OpenDocument) -> list[tuple[int, int]]:
    """The fenced blocks of an open prompt, as (opening line, closing line)."""
    return scan_structure(doc.document.lines, doc.frontmatter.end).fences
