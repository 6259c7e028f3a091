"""Resolving a document's references on a worker thread, from a snapshot.

A job captures what resolution reads — the parsed reference list (edits replace it, never
change it), the path, settings and frontmatter — and resolves with a resolver and a
counter of its own, so the editing thread may go on applying keystrokes meanwhile. URL
bodies it does not have are not fetched from the worker: they are handed back, and the
session queues them where its URL source runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tokenls.analysis.analyse import parsed_references
from tokenls.analysis.open_document import OpenDocument
from tokenls.engine.counting import Counter
from tokenls.references.collect import PromptReferences, collect_references
from tokenls.references.parse import Reference
from tokenls.references.resolve import Resolver, UrlSource
from tokenls.workspace.services import Workspace


class DeferredUrls:
    """Answers URL lookups from the fetch cache; what must be fetched is only noted."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.requested: list[str] = []

    def lookup(self, url: str) -> Any:
        cached = self.source.fetcher.cached(url)
        if cached is None or cached.stale:
            self.requested.append(url)
        return cached


@dataclass(slots=True)
class ResolutionJob:
    """One document's references, resolved by ``run`` on any thread."""

    uri: str
    generation: int  # the session's generation for the document when the job was made
    parsed: list[Reference]
    run: Callable[[], PromptReferences]
    urls: DeferredUrls | None = None
    requested: list[str] = field(default_factory=list)


def make_job(
    uri: str, generation: int, doc: OpenDocument, workspace: Workspace, counter: Counter
) -> ResolutionJob:
    parsed = parsed_references(doc)
    source = workspace.url_source() if any(r.kind == "url" for r in parsed) else None
    deferred = DeferredUrls(source) if hasattr(source, "fetcher") else None
    urls: Callable[[], UrlSource | None] = (
        (lambda: deferred) if deferred is not None else workspace.url_source  # type: ignore[return-value]
    )
    resolver = Resolver(workspace.cache, workspace.resolver.policy, urls)
    path, settings, frontmatter = doc.path, doc.settings, doc.frontmatter.data
    config_dir = workspace.config.path.parent if workspace.config else None
    unread = doc.references_capped

    def run() -> PromptReferences:
        return collect_references(
            parsed, path, settings, frontmatter, config_dir, resolver, counter, unread
        )

    return ResolutionJob(uri, generation, parsed, run, deferred)
