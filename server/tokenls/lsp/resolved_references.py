"""What the session remembers of each open document's resolved references.

The last resolution of a document's references is kept across edits that leave every
target in place, and dropped when files, settings or the frontmatter change. Each drop
moves the document to a new generation, so a job that was running meanwhile is known to
be stale and its result is thrown away.
"""

from __future__ import annotations

from tokenls.analysis.analyse import KnownReferences, moved_references, parsed_references
from tokenls.analysis.open_document import OpenDocument
from tokenls.engine.counting import Counter
from tokenls.engine.tokenizer_files import make_counter
from tokenls.lsp.resolution import ResolutionJob, make_job
from tokenls.references.collect import PromptReferences
from tokenls.references.parse import Reference
from tokenls.workspace.services import Workspace


class ResolvedReferences:
    """Each document's last resolution and generation, and the counters of worker jobs."""

    def __init__(self) -> None:
        self._known: dict[str, KnownReferences] = {}
        self._generation: dict[str, int] = {}
        self._worker_counters: dict[str, Counter] = {}

    def forget(self, uri: str) -> None:
        """Drop the document's resolution; jobs running for it are stale."""
        self._known.pop(uri, None)
        self._generation[uri] = self._generation.get(uri, 0) + 1

    def forget_all(self) -> None:
        """Drop every document's resolution (files on disk changed)."""
        for uri in list(self._known):
            self.forget(uri)

    def remember(self, uri: str, parsed: list[Reference], refs: PromptReferences) -> None:
        self._known[uri] = KnownReferences(parsed, refs)

    def at_hand(self, uri: str, doc: OpenDocument) -> PromptReferences | None:
        """The document's resolved references when no target must be resolved afresh."""
        parsed = parsed_references(doc)
        if not parsed:
            return PromptReferences()
        known = self._known.get(uri)
        moved = moved_references(parsed, known) if known is not None else None
        if moved is not None and known is not None and known.parsed is not parsed:
            self._known[uri] = KnownReferences(parsed, moved)
        return moved

    def job(self, uri: str, doc: OpenDocument, workspace: Workspace) -> ResolutionJob:
        """A job resolving the document's references from a snapshot, for a worker thread
        (one at a time: the job's resolver and counter are not the editing thread's)."""
        encoding = doc.document.counter.encoding_name
        counter = self._worker_counters.get(encoding)
        if counter is None:
            max_exact = doc.document.counter.max_exact
            counter = self._worker_counters[encoding] = make_counter(encoding, max_exact=max_exact)
        return make_job(uri, self._generation.get(uri, 0), doc, workspace, counter)

    def keep(self, job: ResolutionJob, refs: PromptReferences) -> None:
        """Keep a job's result unless its document changed generation while it ran."""
        if self._generation.get(job.uri, 0) == job.generation:
            self._known[job.uri] = KnownReferences(job.parsed, refs)
