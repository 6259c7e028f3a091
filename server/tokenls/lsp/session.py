"""The editor session: the open documents, each routed to the workspace of its root.

It applies edits, keeps each document's analysis for the version it was computed on, and
hands out what to show through ``tokenls.analysis.presentation``; settings, caches, resolvers and
URL sources belong to the workspaces. No LSP types here: every feature is unit-testable
without a client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tokenls.analysis.analyse import Analysis, analyse, parsed_references, references_of
from tokenls.analysis.open_document import (
    Change,
    ChangeNotApplied,
    OpenDocument,
    remote_host,
    uri_to_path,
)
from tokenls.analysis.presentation import Finding, Hint
from tokenls.config import Problem
from tokenls.document.outline import FRONTMATTER_LINES, read_frontmatter, text_frontmatter
from tokenls.engine import count_helper
from tokenls.engine.counting import Count
from tokenls.engine.document import Document
from tokenls.engine.encodings import DEFAULT_ENCODING, ENCODINGS, get_encoding
from tokenls.engine.text import PositionEncoding
from tokenls.lsp.answers import Answers
from tokenls.lsp.resolution import ResolutionJob
from tokenls.lsp.resolved_references import ResolvedReferences
from tokenls.references.collect import PromptReferences
from tokenls.workspace.services import ExactRunner, Shared, UrlFactory, Workspace, Workspaces

__all__ = ["Change", "Finding", "Hint", "Session", "UnknownDocument", "uri_to_path"]

MAX_DOCUMENT_CHARS = 64 * 1024 * 1024
WARM_UP_QUIET_S = 0.15  # the start-up helper's idle time before the server builds its own
WARM_UP_WAIT_S = 2.0  # the longest it waits for that
# Building the encoder holds the GIL for a few hundred milliseconds: while the start-up
# helper counts, it waits for the editor to pause this long (at most the limit after), so
# that no keystroke waits for it.
WARM_UP_EDITOR_QUIET_S = 0.4
WARM_UP_EDITOR_LIMIT_S = 30.0
log = logging.getLogger("tokenls")


class UnknownDocument(KeyError):
    """A request named a document that is not open."""

    def __str__(self) -> str:
        return f"document not open: {self.args[0]}"


class Session(Answers):
    """State shared by all requests of one language-server connection."""

    def __init__(
        self,
        position_encoding: PositionEncoding = "utf-16",
        encoding_override: str | None = None,
        urls: UrlFactory | None = None,
        shared: Shared | None = None,
        exact_runner: ExactRunner | None = None,
    ) -> None:
        self.position_encoding: PositionEncoding = position_encoding
        self.workspaces = Workspaces(
            shared
            or Shared(urls=urls, encoding_override=encoding_override, exact_runner=exact_runner)
        )
        self._docs: dict[str, OpenDocument] = {}
        self._routes: dict[str, Workspace] = {}
        self._analyses: dict[str, Analysis] = {}
        self._resolved = ResolvedReferences()
        self.active_uri: str | None = None
        self._reported: set[str] = set()
        self.last_edit = 0.0  # time.monotonic() of the last open or change

    @property
    def roots(self) -> list[Path]:
        return self.workspaces.folders

    @roots.setter
    def roots(self, folders: Sequence[Path]) -> None:
        self.workspaces.folders = [Path(f) for f in folders]

    # -- settings --------------------------------------------------------------------

    def configure(self, raw: Mapping[str, Any] | None, folder: Path | None = None) -> list[Problem]:
        """Apply editor settings (initializationOptions, didChangeConfiguration, or one
        folder's answer to workspace/configuration)."""
        problems = self.workspaces.configure(raw, folder)
        self._reroute()
        return problems

    def reload_config(self) -> None:
        """A config file was created, changed or deleted: read them again."""
        self.workspaces.reload()
        self._reported.clear()
        self._reroute()

    def all_config_problems(self) -> list[Problem]:
        """Every current problem of the user's config and the open documents' configs."""
        problems = self.workspaces.user_problems()
        for workspace in {id(w): w for w in self._routes.values()}.values():
            problems += workspace.problems()
        return problems

    def config_problems(self) -> list[Problem]:
        """Problems in config files not yet reported to the user (each reported once)."""
        fresh = [p for p in self.all_config_problems() if str(p) not in self._reported]
        self._reported.update(str(p) for p in fresh)
        return fresh

    def workspace(self, uri: str) -> Workspace:
        self.get(uri)
        return self._routes[uri]

    def _reroute(self) -> None:
        for uri, doc in self._docs.items():
            workspace = self._routes[uri] = self.workspaces.for_path(
                doc.path, remote=remote_host(uri)
            )
            self._settle(doc, workspace)

    def _settle(self, doc: OpenDocument, workspace: Workspace) -> None:
        """Give a document its workspace's settings and the tokenizer they choose."""
        doc.settings = workspace.settings
        self._analyses.pop(doc.uri, None)
        self._resolved.forget(doc.uri)
        encoding = workspace.encoding_for(doc.frontmatter.data)
        if encoding != doc.document.counter.encoding_name:
            counter = workspace.shared.counter(encoding)
            doc.document = Document(doc.document.text, counter, self.position_encoding, doc.version)

    def warm_up(self) -> None:
        """Load the default encoding ahead of the first document (safe from any thread).
        While the start-up helper counts the first documents, only once they are counted
        and the editor pauses: building it here meanwhile would hold the GIL they (and the
        keystrokes) wait for."""
        name = self.workspaces.shared.editor.values.get("encoding", DEFAULT_ENCODING)
        count_helper.wait_idle(WARM_UP_QUIET_S, WARM_UP_WAIT_S)
        limit = time.monotonic() + WARM_UP_EDITOR_LIMIT_S
        while count_helper.active() and (now := time.monotonic()) < limit:
            quiet = now - self.last_edit
            if quiet >= WARM_UP_EDITOR_QUIET_S:
                break
            time.sleep(WARM_UP_EDITOR_QUIET_S - quiet)
        get_encoding(name if name in ENCODINGS else DEFAULT_ENCODING)
        count_helper.stop()

    # -- documents -------------------------------------------------------------------

    def open(
        self, uri: str, text: str, version: int = 0, known: tuple[str, Count] | None = None
    ) -> OpenDocument:
        """Open a document; ``known`` is an (encoding, total) already counted for this text."""
        _check_size(text)
        self.last_edit = time.monotonic()
        path = uri_to_path(uri)
        workspace = self.workspaces.for_path(path, remote=remote_host(uri))
        frontmatter = text_frontmatter(text)
        encoding = workspace.encoding_for(frontmatter.data)
        counter = workspace.shared.counter(encoding)
        if known is not None and known[0] == encoding:
            document = Document.with_known_total(text, counter, known[1], self.position_encoding)
            document.version = version
        else:
            document = Document(text, counter, self.position_encoding, version)
        frontmatter = read_frontmatter(document.lines, FRONTMATTER_LINES)
        doc = OpenDocument(uri, path, document, workspace.settings, frontmatter)
        self._docs[uri] = doc
        self._routes[uri] = workspace
        self._analyses.pop(uri, None)
        self._resolved.forget(uri)
        return doc

    def change(self, uri: str, version: int, changes: Sequence[Change]) -> OpenDocument:
        doc = self.get(uri)
        self.last_edit = time.monotonic()
        # The frontmatter is parsed again (YAML, a third of a keystroke's cost) only when a
        # change reached the lines it can span.
        near_top = False
        for change in changes:
            if change.start is None or change.end is None:
                near_top = True
                _check_size(change.text)
            else:
                near_top = near_top or min(change.start[0], change.end[0]) <= FRONTMATTER_LINES
            try:
                doc.apply(change)
            except ChangeNotApplied as exc:
                self.lose_sync(uri, str(exc))
        doc.document.version = version
        self._analyses.pop(uri, None)
        if not near_top:
            return doc
        frontmatter = read_frontmatter(doc.document.lines, FRONTMATTER_LINES)
        if frontmatter != doc.frontmatter:
            doc.frontmatter = frontmatter
            doc.forget_structure()
            self._settle(doc, self._routes[uri])
        return doc

    def lose_sync(self, uri: str, reason: str) -> None:
        """A change to ``uri`` could not be applied: its counts are unknown until the editor
        sends the whole text again (reopening the file does)."""
        doc = self._docs.get(uri)
        if doc is None or doc.unsynced is not None:
            return
        log.warning(
            "tokenls: %s is out of sync (%s); counts unknown until it is reopened", uri, reason
        )
        doc.unsynced = reason
        self._analyses.pop(uri, None)
        self._resolved.forget(uri)

    def close(self, uri: str) -> None:
        self._docs.pop(uri, None)
        self._routes.pop(uri, None)
        self._analyses.pop(uri, None)
        self._resolved.forget(uri)
        self._forget_unwanted_urls()

    def _forget_unwanted_urls(self) -> None:
        """Queued fetches for URLs no open prompt references any more are dropped."""
        wanted: set[str] = set().union(*(a.urls for a in self._analyses.values()))
        for workspace in self.workspaces.all():
            keep_only = getattr(workspace.existing_url_source(), "keep_only", None)
            if keep_only is not None:
                keep_only(wanted)

    def get(self, uri: str) -> OpenDocument:
        try:
            return self._docs[uri]
        except KeyError:
            raise UnknownDocument(uri) from None

    def open_uris(self) -> list[str]:
        return list(self._docs)

    def files_changed(self) -> list[str]:
        """Files on disk changed: every open prompt's references are counted afresh."""
        self._analyses.clear()
        self._resolved.forget_all()
        return list(self._docs)

    def counts_changed(self) -> list[str]:
        """A slow exact count of a document's own text arrived: analyses are made again,
        while resolved references (which it does not touch) are kept."""
        self._analyses.clear()
        return list(self._docs)

    # -- what to show ----------------------------------------------------------------

    def analyse(self, uri: str) -> Analysis:
        doc = self.get(uri)
        cached = self._analyses.get(uri)
        if cached is not None and cached.version == doc.version:
            return cached
        workspace = self._routes[uri]
        source = workspace.existing_url_source()
        if source is not None and hasattr(source, "priority"):
            source.priority = 0 if uri == self.active_uri else 1  # the active prompt first
        refs = self.references_at_hand(uri)
        if refs is None:
            parsed = parsed_references(doc)
            refs = references_of(doc, workspace, parsed)
            self._resolved.remember(uri, parsed, refs)
        analysis = self._analyses[uri] = analyse(doc, workspace, refs)
        self._forget_unwanted_urls()
        return analysis

    def analysed(self, uri: str) -> bool:
        """Whether the current version's analysis is at hand or costs no resolution."""
        doc = self.get(uri)
        cached = self._analyses.get(uri)
        if cached is not None and cached.version == doc.version:
            return True
        return self.references_at_hand(uri) is not None

    def references_at_hand(self, uri: str) -> PromptReferences | None:
        """The document's resolved references when no target must be resolved afresh."""
        return self._resolved.at_hand(uri, self.get(uri))

    def resolution_job(self, uri: str) -> ResolutionJob:
        """A job resolving the document's references from a snapshot, for a worker thread."""
        return self._resolved.job(uri, self.get(uri), self._routes[uri])

    def finish_resolution(self, job: ResolutionJob, refs: PromptReferences) -> None:
        """Keep a job's result unless files or settings changed while it ran; URL bodies it
        lacked are queued here, where the URL source runs."""
        if job.urls is not None:
            for url in job.urls.requested:
                job.urls.source.request(url, 0 if job.uri == self.active_uri else 1)
        if job.uri in self._docs:
            self._resolved.keep(job, refs)


def _check_size(text: str) -> None:
    if len(text) > MAX_DOCUMENT_CHARS:
        raise ValueError(
            f"document of {len(text):,} characters is over tokenls's "
            f"{MAX_DOCUMENT_CHARS:,}-character limit; not counted"
        )
