"""Compress-log edits, planned as plain text changes (no client-side command needed).

A selected or fenced block is replaced in place; a referenced log is compressed into
``<name>.compressed.log`` beside it and the reference pointed there (the original is never
modified); every log of a prompt at once is compressed to its share of the budget
(``tokenls.compress.plan``), in one edit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tokenls.compress.plan import MIN_TARGET, LogCost, share
from tokenls.engine.counting import Counter
from tokenls.lsp.prompt_logs import PromptLogs, is_log_reference
from tokenls.references.resolve import Resolved

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
