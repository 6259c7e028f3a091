"""What a document costs: its own text, its references, its budget and where it is crossed.

Used alike by the language server and the command line, so a CI gate and the editor agree
on every total, budget and reference; only the presentation differs.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

from tokenls.analysis.open_document import OpenDocument
from tokenls.analysis.own_counts import estimated_references, own_count
from tokenls.engine.counting import Count
from tokenls.providers.calibration import Ratio, estimate
from tokenls.references.collect import (
    PromptReferences,
    collect_references,
    declares_variables,
)
from tokenls.references.parse import Reference, default_syntaxes
from tokenls.references.resolve import Resolved
from tokenls.workspace.budget import Budget, BudgetFinding, budget_finding
from tokenls.workspace.services import Workspace


@dataclass(slots=True)
class Analysis:
    version: int  # the document version this was computed for
    total: Count
    own: Count
    encoding: str
    budget: Budget | None
    finding: BudgetFinding | None
    finding_line: int | None
    problems: list[str] = field(default_factory=list)
    references: list[Resolved] = field(default_factory=list)
    model: str | None = None
    notes: list[str] = field(default_factory=list)  # why the total is an estimate
    pending: bool = False  # an exact count of the own text is on its way
    skipped_references: int = 0  # past the document's limits: not resolved, count 0
    references_unread: bool = False  # and more past the references read of a document
    ratio: Ratio | None = None  # the model's, when its counts are estimates of a local count
    why: str = ""  # which encoding, model and budget, and where each came from

    def scaled(self, count: Count) -> Count:
        """A local count of part of the document in the document's terms: for an estimated
        model, that part's estimate (as the total's parts are)."""
        return estimate(count, self.ratio) if self.ratio is not None else count

    @property
    def urls(self) -> set[str]:
        return {r.reference.target for r in self.references if r.reference.kind == "url"}

    @property
    def overflow(self) -> int | None:
        """Tokens over the budget, or None when within it (or without one)."""
        if self.budget is None:
            return None
        over = self.total.tokens - self.budget.tokens
        return over if over > 0 else None


@dataclass(frozen=True, slots=True)
class KnownReferences:
    """References as resolved for one parsed list: an edit that moves them (or changes
    text around them) keeps their resolution, so only a changed target is resolved again."""

    parsed: list[Reference]
    resolved: PromptReferences


def analyse(
    doc: OpenDocument, workspace: Workspace, refs: PromptReferences | None = None
) -> Analysis:
    """The document's total (own text plus each reference once) against its budget;
    ``refs`` are its references if they were resolved already."""
    settings = doc.settings
    choice = workspace.choice(doc.frontmatter.data)
    counted_own = own_count(doc, workspace)
    own = counted_own.count
    if refs is None:
        refs = references_of(doc, workspace)
    shown, added, refs_note = estimated_references(
        refs.resolved, choice.ratio, doc.document.counter.encoding_name
    )
    total = own + added
    budget = choice.budget
    finding = (
        budget_finding(total.tokens, budget, settings.thresholds, total.exact) if budget else None
    )
    line = None
    if finding is not None:
        # The running count includes references where they stand in the text; it is a
        # local count, so an estimate's threshold is taken back to local tokens.
        threshold = finding.threshold
        if choice.ratio is not None:
            threshold = math.ceil(threshold / choice.ratio.ratio)
        line = line_reaching(doc, refs.resolved, threshold)
    problems = [p for p in (doc.frontmatter.error, *choice.problems, *refs.problems) if p]
    return Analysis(
        doc.version,
        total,
        own,
        doc.document.counter.encoding_name,
        budget,
        finding,
        line,
        problems,
        shown,
        choice.model,
        [n for n in (counted_own.note, refs_note) if n],
        counted_own.pending,
        refs.skipped,
        doc.references_capped,
        choice.ratio,
        choice.why,
    )


def parsed_references(doc: OpenDocument) -> list[Reference]:
    """The document's references as written, in the syntaxes its settings choose."""
    syntaxes = doc.settings.references
    if syntaxes is None:
        templated = declares_variables(doc.settings, doc.frontmatter.data)
        syntaxes = default_syntaxes(doc.path.name if doc.path else "", templated)
    return doc.references(syntaxes)


def references_of(
    doc: OpenDocument, workspace: Workspace, parsed: list[Reference] | None = None
) -> PromptReferences:
    return collect_references(
        parsed_references(doc) if parsed is None else parsed,
        doc.path,
        doc.settings,
        doc.frontmatter.data,
        workspace.config.path.parent if workspace.config else None,
        workspace.resolver,
        doc.document.counter,
        doc.references_capped,
    )


def moved_references(parsed: list[Reference], known: KnownReferences) -> PromptReferences | None:
    """``known``'s resolution for ``parsed`` when every reference still names the same
    target in the same order (only positions moved); None when one changed. References
    past the document's limits were not resolved, so only those before them are compared."""
    if parsed is known.parsed:
        return known.resolved
    if len(parsed) != len(known.parsed):
        return None
    resolved: list[Resolved] = []
    for old, ref in zip(known.resolved.resolved, parsed, strict=False):
        was = old.reference
        if was is not ref:
            if (was.kind, was.syntax, was.target) != (ref.kind, ref.syntax, ref.target):
                return None
            old = copy.copy(old)
            old.reference = ref
        resolved.append(old)
    return PromptReferences(resolved, known.resolved.problems)


def line_reaching(doc: OpenDocument, refs: list[Resolved], tokens: int) -> int:
    """The first line at which the running count (references included) reaches ``tokens``."""
    added = 0
    for ref in refs:  # in document order
        if not ref.counts:
            continue
        before = doc.document.count_lines(0, ref.reference.line + 1).tokens + added
        if before + ref.tokens >= tokens:
            return (
                ref.reference.line
                if before < tokens
                else doc.document.line_reaching(tokens - added)
            )
        added += ref.tokens
    return doc.document.line_reaching(tokens - added)

