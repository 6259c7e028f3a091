"""Compress-a-log code actions, planned as plain edits (no client-side command needed).

Three actions: compress a selected or fenced log block in place; compress a referenced log
file into ``<name>.compressed.log`` beside it and point the reference there (the original
is never modified); and, on a budget diagnostic, compress the largest log so the prompt
fits its budget.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tokenls.analysis import Analysis
from tokenls.compress.signals import PLAIN, kind
from tokenls.engine.counting import Counter
from tokenls.open_document import OpenDocument
from tokenls.outline import scan_structure
from tokenls.references.resolve import Resolved

MIN_TARGET = 64
_LOG_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})\s*(log|text|txt|console|shell|sh|output|)\s*$", re.I)
_LOG_NAME = re.compile(
    r"\.(?:log|out|err|txt)$|(?:^|[/_.-])(?:log|logs|output|ci|build)(?:[/_.-]|$)", re.I
)

Position = tuple[int, int]  # (line, string index); offers take LSP positions


@dataclass(frozen=True, slots=True)
class TextChange:
    path: Path | None  # None: the prompt itself
    start: Position
    end: Position
    text: str


@dataclass(slots=True)
class ActionPlan:
    title: str
    kind: str  # "refactor.rewrite" or "quickfix"
    changes: list[TextChange] = field(default_factory=list)
    create: list[tuple[Path, str]] = field(default_factory=list)
    preferred: bool = False


def looks_like_log(lines: Sequence[str]) -> bool:
    """Enough lines, and enough of them carrying a level, a failure or a timestamp."""
    body = [line for line in lines if line.strip()]
    if len(body) < 5:
        return False
    marked = sum(1 for line in body[:400] if kind(line) != PLAIN or _TIMESTAMP.search(line))
    return marked >= max(2, len(body[:400]) // 5)


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\b\d{2}:\d{2}:\d{2}\b")


def target_for(tokens: int, overflow: int | None) -> int:
    """How many tokens a log should shrink to: enough to end the overflow, else a quarter."""
    if overflow is not None and overflow > 0:
        return max(tokens - overflow - 8, MIN_TARGET)
    return max(tokens // 4, MIN_TARGET)


def compress_text(
    text: str,
    budget: int,
    counter: Counter,
    cancelled: Callable[[], bool] | None = None,
    baseline: Sequence[str] | None = None,
) -> str:
    from tokenls.compress import compress  # loads only when an action is resolved

    chunk = 1 << 20
    chunks = (text[i : i + chunk] for i in range(0, len(text), chunk))
    result = compress(
        chunks, budget, counter, baseline=baseline, cancelled=cancelled, count_input=False
    )
    return result.text


def plan_block(
    text: str,
    start: Position,
    end: Position,
    tokens: int,
    overflow: int | None,
    counter: Counter,
    title_prefix: str = "Compress log",
    cancelled: Callable[[], bool] | None = None,
    baseline: Sequence[str] | None = None,
) -> ActionPlan:
    """Replace ``text`` (the prompt between two positions) with its compressed form."""
    target = target_for(tokens, overflow)
    compressed = compress_text(text, target, counter, cancelled, baseline)
    if text.endswith("\n") and not compressed.endswith("\n"):
        compressed += "\n"
    if not text.endswith("\n") and compressed.endswith("\n"):
        compressed = compressed[:-1]
    return ActionPlan(
        f"{title_prefix} to fit {target:,} tokens",
        "refactor.rewrite",
        [TextChange(None, start, end, compressed)],
    )


def plan_reference(
    ref: Resolved,
    line_text: str,
    overflow: int | None,
    counter: Counter,
    cancelled: Callable[[], bool] | None = None,
) -> ActionPlan | None:
    """Compress a referenced log into ``<name>.compressed.log`` and point the reference there."""
    source = Path(ref.target)
    if not is_log_reference(ref):
        return None
    try:
        data = source.read_bytes()
    except OSError:
        return None
    text = data.decode("utf-8", "replace")
    target = target_for(ref.tokens, overflow)
    compressed = compress_text(text, target, counter, cancelled)
    destination = source.with_name(f"{source.stem}.compressed.log")
    written = ref.reference.target
    new_target = written[: len(written) - len(Path(written).name)] + destination.name
    r = ref.reference
    original = line_text[r.start : r.end]
    at = original.rfind(written)
    if at < 0:
        return None
    replacement = original[:at] + new_target + original[at + len(written) :]
    return ActionPlan(
        f"Compress referenced log {source.name} to fit {target:,} tokens",
        "refactor.rewrite",
        [TextChange(None, (r.line, r.start), (r.line, r.end), replacement)],
        [(destination, compressed)],
    )


def slice_text(lines: Sequence[str], start: Position, end: Position) -> str:
    (l0, c0), (l1, c1) = start, end
    if l0 == l1:
        return lines[l0][c0:c1] if l0 < len(lines) else ""
    head = lines[l0][c0:] if l0 < len(lines) else ""
    middle = "".join(lines[l0 + 1 : l1])
    tail = lines[l1][:c1] if l1 < len(lines) else ""
    return head + middle + tail


@dataclass(frozen=True, slots=True)
class Offer:
    """A code action before its edit is computed (the edit comes on resolve)."""

    title: str
    kind: str
    data: dict[str, object]
    preferred: bool = False


def fenced_log_at(
    lines: Sequence[str], fences: Sequence[tuple[int, int]], line: int
) -> tuple[int, int] | None:
    """The body ``[start, end)`` of the fenced log block that holds ``line``, if any."""
    for open_line, close_line in fences:
        if open_line <= line <= close_line and _LOG_FENCE.match(lines[open_line].rstrip("\r\n")):
            body = lines[open_line + 1 : close_line]
            if looks_like_log(body):
                return open_line + 1, close_line
    return None


def all_fenced_logs(
    lines: Sequence[str], fences: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    return [
        (a + 1, b)
        for a, b in fences
        if _LOG_FENCE.match(lines[a].rstrip("\r\n")) and looks_like_log(lines[a + 1 : b])
    ]


def is_log_reference(ref: Resolved) -> bool:
    return (
        ref.status == "ok"
        and ref.reference.kind == "file"
        and bool(_LOG_NAME.search(Path(ref.target).name))
        and not ref.target.endswith(".compressed.log")
    )


def offers(
    doc: OpenDocument,
    analysis: Analysis,
    start: Position,
    end: Position,
    on_budget_diagnostic: bool,
    has_baseline: bool = False,
) -> list[Offer]:
    """Cheap offers for an LSP range; the compressed text is computed on resolve. With a
    passing run's log configured (``[compress] baseline``), each in-place offer has a twin
    that compresses against it."""
    uri = doc.uri
    lines = doc.document.lines
    counter = doc.document.counter
    overflow = analysis.overflow
    (l0, i0), (l1, i1) = sorted((doc.document.offset_at(start), doc.document.offset_at(end)))
    base = {"uri": uri, "version": doc.version}
    offers: list[Offer] = []
    if (l0, i0) != (l1, i1):
        text = slice_text(lines, (l0, i0), (l1, i1))
        if text.count("\n") >= 4:
            tokens = counter.count(text).tokens
            offers.append(
                Offer(
                    f"Compress log to fit {target_for(tokens, overflow):,} tokens",
                    "refactor.rewrite",
                    {**base, "action": "range", "range": [l0, i0, l1, i1], "tokens": tokens},
                )
            )
    else:
        block = fenced_log_at(lines, _fences(doc), l0)
        if block is not None:
            tokens = doc.document.count_lines(*block).tokens
            offers.append(
                Offer(
                    f"Compress log to fit {target_for(tokens, overflow):,} tokens",
                    "refactor.rewrite",
                    {
                        **base,
                        "action": "range",
                        "range": [block[0], 0, block[1], 0],
                        "tokens": tokens,
                    },
                )
            )
    for index, ref in enumerate(analysis.references):
        r = ref.reference
        if r.line == l0 and r.start <= i0 <= r.end and is_log_reference(ref):
            target = target_for(ref.tokens, overflow)
            offers.append(
                Offer(
                    f"Compress referenced log {Path(ref.target).name} to fit {target:,} tokens",
                    "refactor.rewrite",
                    {**base, "action": "reference", "index": index},
                )
            )
    if has_baseline:
        offers.extend(
            Offer(
                offer.title.replace("Compress log", "Compress log against the passing run"),
                offer.kind,
                {**offer.data, "baseline": True},
            )
            for offer in list(offers)
            if offer.data.get("action") == "range"
        )
    if on_budget_diagnostic and overflow:
        largest = _largest_log(doc, analysis)
        if largest is not None:
            offers.append(
                Offer(
                    "Compress the largest log to fit the budget",
                    "quickfix",
                    {**base, **largest},
                    preferred=True,
                )
            )
    return offers


def prepare(
    doc: OpenDocument,
    analysis: Analysis,
    data: Mapping[str, Any],
    passing: Sequence[str] | None = None,
) -> Callable[[Callable[[], bool]], ActionPlan | None] | None:
    """Snapshot what an offer needs (on the caller's thread) and return the slow part,
    the compression, as a function safe to run on a worker thread. ``passing`` is the
    configured passing run's log, for offers made against it."""
    counter = Counter(doc.document.counter.encoding_name)  # the worker's own piece cache
    overflow = analysis.overflow
    lines = doc.document.lines
    if data.get("action") == "range":
        l0, i0, l1, i1 = data["range"]
        text = slice_text(lines, (l0, i0), (l1, i1))
        title = "Compress the largest log" if data.get("largest") else "Compress log"
        tokens = int(data["tokens"])
        if data.get("baseline"):
            if passing is None:
                return None
            title = "Compress log against the passing run"
        return lambda cancelled: plan_block(
            text, (l0, i0), (l1, i1), tokens, overflow, counter, title, cancelled, passing
        )
    if data.get("action") == "reference":
        index = int(data["index"])
        if not 0 <= index < len(analysis.references):
            return None
        ref = analysis.references[index]
        line = lines[ref.reference.line]
        return lambda cancelled: plan_reference(ref, line, overflow, counter, cancelled)
    return None


def _fences(doc: OpenDocument) -> list[tuple[int, int]]:
    return scan_structure(doc.document.lines, doc.frontmatter.end).fences


def _largest_log(doc: OpenDocument, analysis: Analysis) -> dict[str, Any] | None:
    best: tuple[int, dict[str, Any]] | None = None
    for a, b in all_fenced_logs(doc.document.lines, _fences(doc)):
        tokens = doc.document.count_lines(a, b).tokens
        if best is None or tokens > best[0]:
            best = (
                tokens,
                {"action": "range", "range": [a, 0, b, 0], "tokens": tokens, "largest": True},
            )
    for index, ref in enumerate(analysis.references):
        if is_log_reference(ref) and not ref.duplicate and (best is None or ref.tokens > best[0]):
            best = (ref.tokens, {"action": "reference", "index": index})
    return best[1] if best else None
