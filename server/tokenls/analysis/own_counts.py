"""A document's own count when the exact one costs more than a keystroke.

Two cases, one pattern: a ``tokenizer.json`` counts only the whole text exactly (its
pre-tokenizer has no proven cut rule, so the editor's per-segment sums are an estimate),
and a Claude model counts exactly only through Anthropic's count-tokens API. Either way
the exact count is kept in the disk cache by content digest; the command line waits for
it, while the editor shows the local estimate at once, marked, and a scheduled job (off the
event loop, the latest text of each document only) swaps the exact count in when it lands.
Without a key, offline or on an API error the estimate stays, with the reason.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from tokenls.analysis.open_document import OpenDocument
from tokenls.cache import stored
from tokenls.engine.counting import ZERO, Count, Counter
from tokenls.providers.calibration import Ratio, describe, estimate, ratio_for
from tokenls.references.cached_counts import cached_count, store_count
from tokenls.references.resolve import Resolved
from tokenls.workspace.services import Workspace

# Schedules ``job`` for a document, replacing any job of that document still waiting.
Runner = Callable[[str, Callable[[], None]], None]


@dataclass(frozen=True, slots=True)
class OwnCount:
    count: Count
    note: str | None = None  # why the count is an estimate; None when exact
    pending: bool = False  # an exact count is on its way


def own_count(doc: OpenDocument, workspace: Workspace) -> OwnCount:
    """The document's own text, counted as exactly as its model allows right now."""
    local = doc.document.total
    counter = doc.document.counter
    model = workspace.model_for(doc.frontmatter.data)
    ratio = ratio_for(model) if model else None
    if model and ratio is not None:
        return _through_api(doc, workspace, model, ratio, local)
    if not counter.additive:
        return _whole_text(doc, workspace, counter, local)
    return OwnCount(local)


def estimated_references(
    resolved: list[Resolved], ratio: Ratio | None, encoding: str
) -> tuple[list[Resolved], Count, str | None]:
    """The references as shown, what they add, and why that is an estimate.

    For an estimated model each counted reference is scaled on its own: a reference shows
    what the file it names counts alone, so a prompt's total is the sum of its parts and
    a total over files is never smaller than one of its rows.
    """
    added = ZERO
    shown: list[Resolved] = []
    for ref in resolved:
        if ref.counts:
            count = Count(ref.tokens, ref.exact, None if ref.exact else ref.tokens)
            if ratio is not None:
                count = estimate(count, ratio)
                ref = copy.copy(ref)
                ref.tokens, ref.exact = count.tokens, False
            added = added + count
        shown.append(ref)
    if ratio is None or added.tokens == 0:
        return (resolved if ratio is None else shown), added, None
    return shown, added, f"references are estimated: {describe(ratio, encoding)}"


def _whole_text(
    doc: OpenDocument, workspace: Workspace, counter: Counter, local: Count
) -> OwnCount:
    text = doc.document.text
    digest = _digest(text)
    cache = workspace.cache

    def job() -> Count:
        counted = counter.count(text)
        store_count(cache, counter, digest, counted)
        return counted

    found = cached_count(cache, counter, digest)
    if found is not None:
        return OwnCount(found[0])
    runner = workspace.shared.exact_runner
    if runner is None:
        return OwnCount(job())
    runner(doc.uri, job)
    upper = max(local.bound, len(text.encode("utf-8", "surrogatepass")))
    note = "counting the whole text (a sum of its parts until then)"
    return OwnCount(Count(local.tokens, exact=False, upper=upper), note, pending=True)


def _through_api(
    doc: OpenDocument, workspace: Workspace, model: str, ratio: Ratio, local: Count
) -> OwnCount:
    from tokenls.providers.anthropic import KEY_ENV, Answer, api_key

    text = doc.document.text
    digest = _digest(text)
    key = f"anthropic:{model}:{digest}"
    cache = workspace.cache
    cached = stored.natural(cache.get(key)[0])
    if cached is not None:
        doc.exact_anchor = (local.tokens, cached)
        return OwnCount(Count(cached))
    guess = _anchored(doc.exact_anchor, local, ratio)
    how = describe(ratio, doc.document.counter.encoding_name)
    if doc.exact_anchor is not None:
        how = f"the last exact count plus the change as {how}"
    if doc.unsynced is not None:  # the editor's text may differ: not worth a request
        return OwnCount(guess, f"estimate, text out of sync: {how}")
    if api_key() is None:
        return OwnCount(guess, f"estimate, no {KEY_ENV} set: {how}")
    api = workspace.count_api()
    failed = api.unavailable or api.failures.get(key)
    if failed:
        return OwnCount(guess, f"estimate ({failed}): {how}")

    def lookup() -> int | None:
        return stored.natural(cache.get(key)[0])

    def job() -> Answer:
        answer = api.count(model, text, digest, lookup, lambda tokens: cache.put(key, tokens))
        if answer.tokens is None and not api.unavailable:
            api.failures[key] = answer.reason or "no answer"  # this text is not asked again
        return answer

    runner = workspace.shared.exact_runner
    if runner is not None:
        runner(doc.uri, job)
        return OwnCount(guess, f"estimate until Anthropic's count arrives: {how}", pending=True)
    answer = job()
    if answer.tokens is not None:
        return OwnCount(Count(answer.tokens))
    return OwnCount(guess, f"estimate ({answer.reason}): {how}")


def _anchored(anchor: tuple[int, int] | None, local: Count, ratio: Ratio) -> Count:
    """The estimate: the local count scaled, or the last exact count plus the change scaled."""
    if anchor is None:
        return estimate(local, ratio)
    before, exact = anchor
    change = estimate(Count(abs(local.tokens - before), local.exact), ratio)
    sign = 1 if local.tokens >= before else -1
    tokens = max(exact + sign * change.tokens, 0)
    return Count(tokens, exact=False, upper=exact + change.bound)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
