"""Compress-a-log code actions, planned as plain edits (no client-side command needed).

Three actions: compress a selected or fenced log block in place; compress a referenced log
file into ``<name>.compressed.log`` beside it and point the reference there (the original
is never modified); and, on a budget diagnostic, compress every log of the prompt — pasted
and referenced — each to its share of the budget (``tokenls.compress.plan``), in one edit.
Which fenced blocks hold a log is ``tokenls.compress.pasted``'s call: the fence's language
is the user's word.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tokenls.analysis.analyse import Analysis
from tokenls.analysis.open_document import OpenDocument
from tokenls.compress.pasted import fenced_logs, is_log_block
from tokenls.compress.plan import MIN_TARGET, LogCost, share
from tokenls.document.outline import scan_structure
from tokenls.engine.counting import Counter
from tokenls.references.resolve import Resolved

MIN_SELECTED_LINES = 5
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

    if baseline is not None:
        from tokenls.compress.baseline import against

        baseline = against(baseline, [text])
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
    compressed = _same_ending(text, compress_text(text, target, counter, cancelled, baseline))
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
    text = _read(source)
    change = _repointed(ref, line_text)
    if text is None or change is None:
        return None
    target = target_for(ref.tokens, overflow)
    compressed = compress_text(text, target, counter, cancelled)
    return ActionPlan(
        f"Compress referenced log {source.name} to fit {target:,} tokens",
        "refactor.rewrite",
        [change],
        [(compressed_path(source), compressed)],
    )


def compressed_path(source: Path) -> Path:
    return source.with_name(f"{source.stem}.compressed.log")


def _repointed(ref: Resolved, line_text: str) -> TextChange | None:
    """The edit pointing a reference at its log's compressed copy."""
    written = ref.reference.target
    new_target = (
        written[: len(written) - len(Path(written).name)] + compressed_path(Path(ref.target)).name
    )
    r = ref.reference
    original = line_text[r.start : r.end]
    at = original.rfind(written)
    if at < 0:
        return None
    replacement = original[:at] + new_target + original[at + len(written) :]
    return TextChange(None, (r.line, r.start), (r.line, r.end), replacement)


def _read(source: Path) -> str | None:
    try:
        return source.read_bytes().decode("utf-8", "replace")
    except OSError:
        return None


def _same_ending(original: str, compressed: str) -> str:
    """``compressed`` ending with a line break exactly when ``original`` does."""
    if original.endswith("\n") and not compressed.endswith("\n"):
        return compressed + "\n"
    if not original.endswith("\n") and compressed.endswith("\n"):
        return compressed[:-1]
    return compressed


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
        for a, b in all_fenced_logs(lines, _fences(doc))
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


def fit_title(logs: PromptLogs, total: int, budget: int) -> str:
    """The action's title, saying up front when compressing every log cannot be enough."""
    shares = share([LogCost(t, MIN_TARGET) for t in logs.costs()], total, budget)
    if not shares.over:
        return "Compress logs to fit the budget"
    return (
        f"Compress logs (still {shares.over:,} tokens over: the rest of the prompt is "
        f"{shares.rest:,} of its {budget:,})"
    )


def plan_fit(
    logs: PromptLogs,
    lines: Sequence[str],
    total: int,
    budget: int,
    counter: Counter,
    cancelled: Callable[[], bool] | None = None,
) -> ActionPlan | None:
    """Every log of the prompt compressed to its share of the budget, as one edit."""
    from tokenls.compress import plan

    texts: list[str] = [slice_text(lines, (p.start, 0), (p.end, 0)) for p in logs.pasted]
    repoints: list[list[TextChange]] = []
    for log in logs.referenced:
        text = _read(Path(log.mentions[0].target))
        changes = [_repointed(r, lines[r.reference.line]) for r in log.mentions]
        if text is None or None in changes:
            return None
        texts.append(text)
        repoints.append([c for c in changes if c is not None])
    # Pointing a reference elsewhere changes the prompt's own text by a token or so.
    extra = [0] * len(logs.pasted) + [
        sum(counter.count(c.text).tokens for c in changes)
        - sum(counter.count(lines[c.start[0]][c.start[1] : c.end[1]]).tokens for c in changes)
        for changes in repoints
    ]
    costs = [
        LogCost(tokens, plan.failure_floor(text, counter))
        for tokens, text in zip(logs.costs(), texts, strict=True)
    ]
    done: dict[int, str] = {}

    def shrink(i: int, target: int) -> int:
        done[i] = _same_ending(texts[i], compress_text(texts[i], target, counter, cancelled))
        return counter.count(done[i]).tokens + extra[i]

    fitted = plan.fit(costs, total, budget, shrink)
    changes: list[TextChange] = []
    create: list[tuple[Path, str]] = []
    for i, p in enumerate(logs.pasted):
        if fitted.targets[i] is not None:
            changes.append(TextChange(None, (p.start, 0), (p.end, 0), done[i]))
    for j, log in enumerate(logs.referenced):
        i = len(logs.pasted) + j
        if fitted.targets[i] is not None:
            create.append((compressed_path(Path(log.mentions[0].target)), done[i]))
            changes.extend(repoints[j])
    if not changes:
        return None
    return ActionPlan(fit_title(logs, total, budget), "quickfix", changes, create, True)


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
        if l1 - l0 + (i1 > 0) >= MIN_SELECTED_LINES and text.strip():
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
    if on_budget_diagnostic and overflow and analysis.budget is not None:
        logs = prompt_logs(doc, analysis)
        if logs.pasted or logs.referenced:
            title = fit_title(logs, analysis.total.tokens, analysis.budget.tokens)
            data = {**base, "action": "fit", "tokens": sum(logs.costs())}  # shows progress
            offers.append(Offer(title, "quickfix", data, preferred=True))
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


def _fences(doc: OpenDocument) -> list[tuple[int, int]]:
    return scan_structure(doc.document.lines, doc.frontmatter.end).fences
