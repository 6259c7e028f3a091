"""Summaries the command line prints: honest totals, totals by directory, check findings.

A total counts each text once. A prompt's own count includes what it references, so adding
up files that import one another would count the imported text twice (``CLAUDE.md`` with
``@b.md`` plus ``b.md`` itself); a total here adds each file's own text, then each
referenced file or URL once, and only when it is not already one of the counted files.
Texts are the same text only when the same tokenizer and model counted them: a file a
``cl100k_base`` prompt references and that is itself counted with ``o200k_base`` costs each,
so a total is never smaller than one of its rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenls.analysis.contributors import Contributor
from tokenls.output.escaping import json_name

if TYPE_CHECKING:
    from tokenls.tree.filecount import FileCount
    from tokenls.tree.prompts import PromptReport


@dataclass(frozen=True, slots=True)
class Part:
    """One counted file's share of a total: its own text and what it references."""

    path: Path
    own: int
    references: tuple[tuple[str, int], ...] = ()  # (key, tokens) of each counted reference
    counted_as: str = ""  # the tokenizer and model that counted it

    @property
    def key(self) -> str:
        where = str(self.path.resolve()) if str(self.path) != "-" else "-"
        return f"{where}\0{self.counted_as}"


def part_of(
    path: Path,
    own: int,
    references: Sequence[dict[str, Any]] | None,
    counted_as: str = "",
) -> Part:
    """A file's share, from its own tokens and its references as ``count --json`` lists them
    (counted as ``counted_as`` says: its tokenizer and model); variables are the prompt's own
    values, so they are keyed by the prompt."""
    shared: list[tuple[str, int]] = []
    for ref in references or ():
        if ref.get("status") != "ok" or ref.get("duplicate") or not ref.get("tokens"):
            continue
        target = str(ref["target"])
        key = target if ref.get("kind") in ("file", "url") else f"{path}\0{target}"
        shared.append((f"{key}\0{counted_as}", int(ref["tokens"])))
    return Part(path, own, tuple(shared), counted_as)


def counted_as(encoding: str | None, model: str | None) -> str:
    """What a count depends on besides the text: texts counted alike are counted once."""
    return f"{encoding or ''}\0{model or ''}"


def text_once_total(parts: Sequence[Part]) -> int:
    """Each file's own text, plus each reference once unless it is a counted file."""
    if not any(p.references for p in parts):
        return sum(p.own for p in parts)  # nothing shared: no path needs resolving
    counted = {p.key for p in parts}
    extra: dict[str, int] = {}
    for part in parts:
        for key, tokens in part.references:
            if key not in counted:
                extra.setdefault(key, tokens)
    return sum(p.own for p in parts) + sum(extra.values())


@dataclass(frozen=True, slots=True)
class TreeTotal:
    """A tree's counted files, their parts, the total counting each text once, and whether
    every count in it is exact: what ``count`` prints and the agents' count tool returns."""

    counted: list[FileCount]
    parts: list[Part]
    total: int
    exact: bool

    @classmethod
    def of(cls, results: Sequence[FileCount]) -> TreeTotal:
        counted = [r for r in results if r.count is not None]
        parts = [
            part_of(r.path, r.own_tokens, r.references, counted_as(r.encoding, r.model))
            for r in counted
        ]
        exact = all(r.count is not None and r.count.exact for r in counted)
        return cls(counted, parts, text_once_total(parts), exact)


def estimate_error(estimate: int, exact: int) -> str:
    """Relative error of an estimate against the exact count, as ``+12.5%``."""
    if exact == 0:
        return "n/a" if estimate else "0.0%"
    return f"{(estimate - exact) / exact * 100:+.1f}%"


def directory_totals(parts: Sequence[Part], roots: Sequence[Path]) -> list[tuple[str, int, int]]:
    """``(path, tokens, depth)`` rows, each directory followed by its children, like ``du``;
    each node's total counts every text below it once."""

    def root_of(path: Path) -> Path:
        return next((r for r in roots if r == path or r in path.parents), path)

    own: dict[Path, int] = {}
    refs: dict[Path, dict[str, int]] = {}
    children: dict[Path, set[Path]] = {}
    tops: set[Path] = set()
    where = {part.key: part.path for part in parts}  # a reference that is a counted file
    for part in parts:
        root = root_of(part.path)
        tops.add(root)
        node = part.path
        while True:
            own[node] = own.get(node, 0) + part.own
            for key, tokens in part.references:
                inside = where.get(key)
                if inside is None or not (inside == node or node in inside.parents):
                    refs.setdefault(node, {}).setdefault(key, tokens)
            if node == root or node.parent == node:
                break
            children.setdefault(node.parent, set()).add(node)
            node = node.parent
    files = {part.path for part in parts}
    rows: list[tuple[str, int, int]] = []
    # Depth first with a stack, not recursion: a tree may be thousands of folders deep.
    pending = [(root, 0) for root in sorted(tops, reverse=True)]
    while pending:
        node, depth = pending.pop()
        total = own[node] + sum(refs.get(node, {}).values())
        rows.append((node.as_posix() + ("" if node in files else "/"), total, depth))
        pending.extend((child, depth + 1) for child in sorted(children.get(node, ()), reverse=True))
    return rows


@dataclass(frozen=True, slots=True)
class FindingRow:
    """One ``check`` finding as every output format needs it (1-based, end exclusive)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    severity: str  # error, warning or info
    code: str
    message: str
    contributors: list[Contributor] = field(default_factory=list)
    exact: bool | None = None  # budget findings: whether the total is a count, not an estimate
    reason: str | None = None  # why it is an estimate

    def as_json(self) -> dict[str, object]:
        entry: dict[str, object] = {
            **json_name(self.path),
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }
        if self.exact is not None:
            entry["exact"] = self.exact
        if self.reason:
            entry["reason"] = self.reason
        if self.contributors:
            entry["contributors"] = [c.as_json() for c in self.contributors]
        return entry


_SEVERITY_NAMES = {"ERROR": "error", "WARNING": "warning", "INFORMATION": "info"}


def finding_rows(shown: str, report: PromptReport) -> list[FindingRow]:
    rows = []
    for finding in report.findings:
        severity = _SEVERITY_NAMES[finding.severity.name]
        budget = finding.code == "budget"
        over = budget and severity == "error"
        rows.append(
            FindingRow(
                shown,
                finding.start[0] + 1,
                finding.start[1] + 1,
                finding.end[0] + 1,
                finding.end[1] + 1,
                severity,
                finding.code,
                finding.message,
                report.contributors if over else [],
                report.exact if budget else None,
                report.reason if budget and not report.exact else None,
            )
        )
    return rows
