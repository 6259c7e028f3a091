"""What the editor asks of a session: findings, hints, hover, payloads, code actions, caches.

Each answer reads the document's analysis for its current version and turns it into plain
values through ``tokenls.analysis.presentation`` (``lsp/convert.py`` makes LSP types of them).
``Session`` holds the documents; this is the part of it that only answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tokenls.analysis import presentation
from tokenls.analysis.presentation import Finding, Hint
from tokenls.cache.token_cache import TokenCache
from tokenls.engine.document import Position
from tokenls.lsp import log_actions
from tokenls.lsp.log_actions import Offer
from tokenls.lsp.log_plans import ActionPlan

if TYPE_CHECKING:
    from tokenls.analysis.analyse import Analysis
    from tokenls.analysis.open_document import OpenDocument
    from tokenls.workspace.services import Workspace, Workspaces


class Answers:
    """The session's answers; the documents and their analyses are ``Session``'s."""

    _docs: dict[str, OpenDocument]
    _routes: dict[str, Workspace]
    workspaces: Workspaces

    def get(self, uri: str) -> OpenDocument:
        raise NotImplementedError

    def workspace(self, uri: str) -> Workspace:
        raise NotImplementedError

    def analyse(self, uri: str) -> Analysis:
        raise NotImplementedError

    def included(self, uri: str) -> bool:
        """Whether the document is a prompt by its workspace's ``include`` globs: only those
        get hints and diagnostics (any document can still be counted on request)."""
        return self.workspace(uri).includes(self.get(uri).path)

    def findings(self, uri: str) -> list[Finding]:
        if not self.included(uri):
            return []
        return presentation.findings(self.get(uri), self.analyse(uri))

    def hints(self, uri: str, start_line: int, end_line: int) -> list[Hint]:
        if not self.included(uri):
            return []
        return presentation.hints(self.get(uri), self.analyse(uri), start_line, end_line)

    def hint_tooltip(self, data: Mapping[str, Any]) -> str | None:
        uri = data.get("uri")
        if not isinstance(uri, str) or uri not in self._docs:
            return None
        workspace = self._routes[uri]
        return presentation.hint_tooltip(
            self._docs[uri], self.analyse(uri), data, self.rate_status(), workspace.cache.stats
        )

    def hover(self, uri: str, line: int, character: int = 0) -> str | None:
        workspace = self.workspace(uri)
        return presentation.hover(
            self.get(uri),
            self.analyse(uri),
            line,
            character,
            self.rate_status(),
            workspace.cache.stats,
        )

    def document_tokens(self, uri: str) -> dict[str, Any]:
        return presentation.document_tokens(self.get(uri), self.analyse(uri))

    def count_texts(self, uri: str, texts: list[str]) -> dict[str, Any]:
        """The tokens of ``texts`` (an editor's selections) with the document's tokenizer."""
        counter = self.get(uri).document.counter
        counts = [counter.count(text) for text in texts]
        tokens, exact = sum(c.tokens for c in counts), all(c.exact for c in counts)
        return {"encoding": counter.encoding_name, "tokens": tokens, "exact": exact}

    def rate_status(self) -> list[str]:
        """One line per rate-limited host seen or configured, for ``tokenls/rateStatus``."""
        return [line for w in self.workspaces.all() for line in w.rate_status()]

    # -- code actions ------------------------------------------------------------------

    def code_action_offers(
        self, uri: str, start: Position, end: Position, on_budget_diagnostic: bool
    ) -> list[Offer]:
        if self.get(uri).unsynced is not None:
            return []  # an edit computed on a text the editor does not have would damage it
        baseline = self.workspace(uri).settings.compress.get("baseline") is not None
        return log_actions.offers(
            self.get(uri), self.analyse(uri), start, end, on_budget_diagnostic, baseline
        )

    def prepare_code_action(
        self, data: Mapping[str, Any]
    ) -> Callable[[Callable[[], bool]], ActionPlan | None] | None:
        """The compression job of an offer, or None when the document changed since."""
        uri = data.get("uri")
        if not isinstance(uri, str) or uri not in self._docs:
            return None
        doc = self._docs[uri]
        if data.get("version") != doc.version or doc.unsynced is not None:
            return None
        passing = self.workspace(uri).passing_log() if data.get("baseline") else None
        return log_actions.prepare(doc, self.analyse(uri), data, passing)

    def version(self, uri: str) -> int | None:
        """The open document's version, or None when it is closed."""
        doc = self._docs.get(uri)
        return doc.version if doc is not None else None

    def lsp_position(self, uri: str, line: int, index: int) -> Position:
        return presentation.lsp_position(self.get(uri), line, index)

    # -- caches ------------------------------------------------------------------------

    def caches(self) -> list[TokenCache]:
        """Every cache in use (one per distinct cache directory), the default one first."""
        caches = self.workspaces.shared.caches()
        if not caches:
            caches = [self.workspaces.for_path(None).cache]
        return caches

    def cache_stats(self) -> dict[str, Any]:
        return self.caches()[0].describe()
