"""Compress-log code actions: cheap offers for a range, and the slow part of one, planned
on resolve.

Three actions: compress a selected or fenced log block in place; compress a referenced log
file into ``<name>.compressed.log`` beside it and point the reference there; and, on a
budget diagnostic, compress every log of the prompt — pasted and referenced — each to its
share of the budget, in one edit. The logs are ``tokenls.lsp.prompt_logs``'s, the edits
``tokenls.lsp.log_plans``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenls.analysis.analyse import Analysis
from tokenls.analysis.open_document import OpenDocument
from tokenls.engine.counting import Counter
from tokenls.lsp.log_plans import (
    ActionPlan,
    Position,
    fit_title,
    plan_block,
    plan_fit,
    plan_reference,
    slice_text,
    target_for,
)
from tokenls.lsp.prompt_logs import fenced_log_at, fences_of, is_log_reference, prompt_logs

MIN_SELECTED_LINES = 5


@dataclass(frozen=True, slots=True)
class Offer:
    """A code action before its edit is computed (the edit comes on resolve)."""

    title: str
    kind: str
    data: dict[str, object]
    preferred: bool = False


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
    first, last = sorted((doc.document.offset_at(start), doc.document.offset_at(end)))
    base = {"uri": doc.uri, "version": doc.version}
    found = _in_place_offers(doc, analysis.overflow, base, first, last)
    found += _reference_offers(analysis, base, first)
    if has_baseline:
        found += _against_passing(found)
    if on_budget_diagnostic:
        found += _fit_offers(doc, analysis, base)
    return found


def _in_place_offers(
    doc: OpenDocument,
    overflow: int | None,
    base: dict[str, object],
    first: Position,
    last: Position,
) -> list[Offer]:
    """Compressing the selection (of enough lines), or with none the fenced log block
    under the cursor."""
    (l0, i0), (l1, i1) = first, last
    if (l0, i0) != (l1, i1):
        text = slice_text(doc.document.lines, (l0, i0), (l1, i1))
        if l1 - l0 + (i1 > 0) < MIN_SELECTED_LINES or not text.strip():
            return []
        tokens = doc.document.counter.count(text).tokens
        span = [l0, i0, l1, i1]
    else:
        block = fenced_log_at(doc.document.lines, fences_of(doc), l0)
        if block is None:
            return []
        tokens = doc.document.count_lines(*block).tokens
        span = [block[0], 0, block[1], 0]
    return [
        Offer(
            f"Compress log to fit {target_for(tokens, overflow):,} tokens",
            "refactor.rewrite",
            {**base, "action": "range", "range": span, "tokens": tokens},
        )
    ]


def _reference_offers(analysis: Analysis, base: dict[str, object], at: Position) -> list[Offer]:
    """Compressing each referenced log under the cursor into a copy beside it."""
    line, index_in_line = at
    found: list[Offer] = []
    for index, ref in enumerate(analysis.references):
        r = ref.reference
        if r.line == line and r.start <= index_in_line <= r.end and is_log_reference(ref):
            target = target_for(ref.tokens, analysis.overflow)
            found.append(
                Offer(
                    f"Compress referenced log {Path(ref.target).name} to fit {target:,} tokens",
                    "refactor.rewrite",
                    {**base, "action": "reference", "index": index},
                )
            )
    return found


def _against_passing(found: Sequence[Offer]) -> list[Offer]:
    """Each in-place offer's twin, compressing against the passing run's log."""
    return [
        Offer(
            offer.title.replace("Compress log", "Compress log against the passing run"),
            offer.kind,
            {**offer.data, "baseline": True},
        )
        for offer in found
        if offer.data.get("action") == "range"
    ]


def _fit_offers(doc: OpenDocument, analysis: Analysis, base: dict[str, object]) -> list[Offer]:
    """On an over-budget prompt with logs: every log compressed to its share, preferred."""
    if not analysis.overflow or analysis.budget is None:
        return []
    logs = prompt_logs(doc, analysis)
    if not (logs.pasted or logs.referenced):
        return []
    title = fit_title(logs, analysis.total.tokens, analysis.budget.tokens)
    data = {**base, "action": "fit", "tokens": sum(logs.costs())}  # shows progress
    return [Offer(title, "quickfix", data, preferred=True)]


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
        title = "Compress log"
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
    if data.get("action") == "fit" and analysis.budget is not None:
        logs = prompt_logs(doc, analysis)
        total, budget = analysis.total.tokens, analysis.budget.tokens
        snapshot = list(lines)
        return lambda cancelled: plan_fit(logs, snapshot, total, budget, counter, cancelled)
    return None
