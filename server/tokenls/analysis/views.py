"""What hovers and hint tooltips say: Markdown built from core results, no LSP types.

Kept apart from the session so the wording (counts, shares of the budget, costs, where a
count came from) can be read and tested in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tokenls.analysis.analyse import Analysis
from tokenls.analysis.open_document import OpenDocument
from tokenls.cache.token_cache import CacheStats
from tokenls.document.outline import Heading, Section
from tokenls.engine.counting import Count
from tokenls.models import format_cost, input_cost
from tokenls.providers.calibration import ratio_for
from tokenls.references.resolve import Resolved
from tokenls.workspace.budget import frontmatter_model

DEFAULT_COST_MODELS = ("gpt-4o", "claude-sonnet-4-5")
_FETCHED = {
    "fresh": "fetched just now",
    "cache": "from the HTTP cache (fresh)",
    "revalidated": "revalidated (304 Not Modified)",
    "stale": "⚠ stale: the host is unreachable, last known body counted",
}


def reference_markdown(
    doc: OpenDocument, ref: Resolved, rate_lines: Sequence[str], stats: CacheStats
) -> str:
    r = ref.reference
    if ref.status == "unbound":
        return (
            f"**Variable `{r.target}`: unbound — not counted**\n\nBind it in the frontmatter "
            "`variables:`, `[variables]` in tokenls.toml, or a variables file."
        )
    if ref.status == "error":
        return f"**`{r.target}`: not counted**\n\n{ref.error}"
    if ref.status == "pending":
        return f"**URL `{r.target}`: being fetched…**\n\n" + "\n\n".join(rate_lines)
    what = {"variable": "Variable", "url": "URL"}.get(r.kind, "File")
    count = Count(ref.tokens, ref.exact, None if ref.exact else ref.tokens)
    parts = [f"**{what} `{r.target}`: {count.label()}**"]
    if r.kind == "url":
        from tokenls.references.urls import host_key

        parts.append(
            f"{ref.size:,} bytes · {ref.lines:,} lines · {_FETCHED.get(ref.fetch or '', '')}"
        )
        key = host_key(r.target)
        parts.extend(line for line in rate_lines if line.startswith(key + ":"))
    elif r.kind == "file":
        parts.append(f"`{ref.target}` · {ref.size:,} bytes · {ref.lines:,} lines")
    else:
        parts.append(f"{ref.size:,} bytes · {ref.lines:,} lines of value")
    if ref.imports:
        names = ", ".join(f"`{Path(p).name}`" for p in ref.imports)
        parts.append(f"Includes nested imports: {names}")
    if ref.duplicate:
        parts.append("Referenced earlier in this prompt: counted once.")
    if ref.error:
        parts.append(f"⚠ {ref.error}")
    if ref.source:
        origin = "Counted fresh" if ref.source == "fresh" else f"Count from {ref.source} cache"
        hits = stats.memory_hits + stats.disk_hits
        parts.append(f"{origin} (cache: {hits} hits, {stats.misses} misses)")
    parts.append(costs(doc, ref.tokens))
    return "\n\n".join(parts)


def section_markdown(doc: OpenDocument, analysis: Analysis, section: Section, count: Count) -> str:
    share = count.tokens / analysis.total.tokens if analysis.total.tokens else 0
    lines_note = f"lines {section.heading.line + 1}–{section.end}"
    parts = [
        f"**{title(section.heading)}: {count.label()}**",
        f"{share:.0%} of the document ({analysis.total.label()}), {lines_note}",
        estimate_note(analysis),
        shares(count, analysis),
        costs(doc, count.tokens),
    ]
    return "\n\n".join(p for p in parts if p)


def total_markdown(doc: OpenDocument, analysis: Analysis) -> str:
    total = analysis.total
    exactness = "exact" if total.exact else f"estimate, at most {total.bound:,}"
    parts = [
        f"**Document: {total.label()}** ({counted_with(analysis)}, {exactness})",
        f"Own text {analysis.own.tokens:,} · references {total.tokens - analysis.own.tokens:,}",
        estimate_note(analysis),
        shares(total, analysis),
        f"Chosen: {analysis.why}" if analysis.why else "",
        costs(doc, total.tokens),
    ]
    return "\n\n".join(p for p in parts if p)


def counted_with(analysis: Analysis) -> str:
    """What counted the document: the model when its provider counts it, else the encoding."""
    if analysis.model and ratio_for(analysis.model) is not None:
        return analysis.model
    return analysis.encoding


def estimate_note(analysis: Analysis) -> str:
    """Why the total is an estimate, when it is one for a reason other than long runs."""
    if not analysis.notes:
        return ""
    return "⚠ " + "; ".join(n[0].upper() + n[1:] for n in analysis.notes)


def shares(count: Count, analysis: Analysis) -> str:
    if analysis.budget is None:
        return "No budget set (frontmatter `tokenls: {budget: N}`, `model:`, or config)."
    share = count.tokens / analysis.budget.tokens
    return f"{share:.1%} of the {analysis.budget.tokens:,}-token budget ({analysis.budget.source})"


def costs(doc: OpenDocument, tokens: int) -> str:
    """Input cost for the configured models (the prompt's own model first)."""
    models = list(doc.settings.models)
    model = frontmatter_model(doc.frontmatter.data) or doc.settings.model
    if model and model not in models:
        models.insert(0, model)
    models = models or list(DEFAULT_COST_MODELS)
    rows = [f"{name}: {format_cost(input_cost(name, tokens))}" for name in models]
    return "Input cost — " + " · ".join(rows)


def title(heading: Heading) -> str:
    return f"{'#' * heading.level} {heading.title}".strip()
