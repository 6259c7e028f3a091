"""The language server object: one editor connection's session, scheduler and publishing.

pygls's built-in text sync keeps its own copy of every document and rebuilds the whole
text on each incremental change; ``TokenlsProtocol`` skips that copy, and the session's
``Document`` applies the edits itself, so a keystroke costs what the edit touches.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import (
    JsonRPCNotification,
    JsonRPCRequestMessage,
    default_converter,
    lsp_method,
)

from tokenls import __version__, compat
from tokenls.config import Problem
from tokenls.lsp import convert
from tokenls.lsp.answering import AnsweringProtocol
from tokenls.lsp.exact_jobs import ExactJobs
from tokenls.lsp.scheduling import Scheduler
from tokenls.lsp.session import Session

if TYPE_CHECKING:
    from cattrs import Converter

    from tokenls.references.url_sources import BackgroundUrls
    from tokenls.references.urls import UrlFetcher

log = logging.getLogger("tokenls")


class TokenlsProtocol(AnsweringProtocol):
    """Forwards document sync to the user handlers without pygls's workspace copy."""

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):  # type: ignore[override]
        if (handler := compat.feature_handler(self, types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):  # type: ignore[override]
        if (handler := compat.feature_handler(self, types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):  # type: ignore[override]
        if (handler := compat.feature_handler(self, types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


def plain_params_converter() -> Converter:
    """pygls's converter, except that the params of requests it has no type for (tokenls's
    own) stay plain JSON: pygls makes a new namedtuple class for each of their objects,
    about a tenth of a millisecond on every ``tokenls/documentTokens``."""
    converter = default_converter()
    for message in (JsonRPCRequestMessage, JsonRPCNotification):
        converter.register_structure_hook(message, lambda obj, cls: cls(**obj))
    return converter


class TokenlsServer(LanguageServer):
    """One editor connection: its session, the scheduler of its slow work, and publishing.

    Made by ``tokenls.lsp.server.build_server``, which adds the handler tables."""

    def __init__(self) -> None:
        super().__init__(
            "tokenls",
            __version__,
            protocol_cls=TokenlsProtocol,
            converter_factory=plain_params_converter,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.exact_jobs = ExactJobs(self._exact_counted, self._debounce_s)
        self.session = Session(urls=self._background_urls, exact_runner=self.exact_jobs.submit)
        self.scheduler = Scheduler(self.session, self.publish, self._report)
        self.protocol.on_change_lost = self._change_lost  # type: ignore[attr-defined]
        self.pending_problems: list[Problem] = []
        self.config_files: set[str] = set()  # config files showing problems
        self.url_progress_token: str | None = None

    def _report(self, error: Exception) -> None:
        self.report_server_error(error, None)

    def _change_lost(self, uri: str, reason: str) -> None:
        if uri in self.session.open_uris():
            self.session.lose_sync(uri, reason)
            self.publish(uri)

    def _background_urls(self, fetcher: UrlFetcher) -> BackgroundUrls:
        from tokenls.references.url_sources import BackgroundUrls  # httpx: on the first URL

        return BackgroundUrls(fetcher, self._url_fetched, self._url_progress)

    def _url_fetched(self, _url: str) -> None:
        """A URL body arrived: re-count the prompts and refresh what the editor shows."""
        self.session.files_changed()
        self.refresh_all()

    def _exact_counted(self, _uri: str) -> None:
        """An exact count arrived (whole text, or a provider's answer): show it."""
        self.session.counts_changed()
        self.refresh_all()

    def _debounce_s(self, uri: str) -> float:
        return self.scheduler.debounce_s(uri)

    def _url_progress(self, done: int, total: int) -> None:
        if not self.supports_progress():
            return
        if self.url_progress_token is None:
            self.url_progress_token = f"tokenls-urls-{uuid.uuid4().hex}"
            token = self.url_progress_token
            self.work_done_progress.create(token)
            self.work_done_progress.begin(
                token, types.WorkDoneProgressBegin(title="Fetching URL references", percentage=0)
            )
        token = self.url_progress_token
        if done >= total:
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=f"{done} fetched"))
            self.url_progress_token = None
        else:
            self.work_done_progress.report(
                token,
                types.WorkDoneProgressReport(
                    message=f"{done}/{total}", percentage=int(done * 100 / total)
                ),
            )

    def report_server_error(self, error: Exception, source: Any) -> None:
        # Never die, and never pop up on every keystroke: log it; requests get an error reply.
        detail = "".join(traceback.format_exception(error))
        self.window_log_message(
            types.LogMessageParams(type=types.MessageType.Error, message=f"tokenls: {detail}")
        )

    def show_problems(self, problems: list[Problem]) -> None:
        """One message for what is new; config files get diagnostics at each key."""
        self.publish_config_problems()
        if not problems:
            return
        more = f" (and {len(problems) - 1} more; see Problems)" if len(problems) > 1 else ""
        self.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Warning, message=f"tokenls: {problems[0]}{more}"
            )
        )

    def publish_config_problems(self) -> None:
        by_file: dict[str, list[types.Diagnostic]] = {}
        for problem in self.session.all_config_problems():
            if problem.source.startswith("/"):
                uri = Path(problem.source).as_uri()
                by_file.setdefault(uri, []).append(convert.config_diagnostic(problem))
        for uri in self.config_files - by_file.keys():  # fixed since: clear
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )
        for uri, diagnostics in by_file.items():
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
            )
        self.config_files = set(by_file)

    def publish(self, uri: str) -> None:
        try:
            doc = self.session.get(uri)
            diagnostics = [convert.diagnostic(f) for f in self.session.findings(uri)]
        except Exception as exc:  # a failure here must not stop other documents
            self.report_server_error(exc, None)
            return
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=doc.version)
        )

    def refresh_all(self) -> None:
        for uri in self.session.open_uris():
            self.scheduler.publish_now(uri)
        caps = self.client_capabilities.workspace
        if caps and caps.inlay_hint and caps.inlay_hint.refresh_support:
            self.workspace_inlay_hint_refresh(None)

    def supports_progress(self) -> bool:
        window = self.client_capabilities.window
        return bool(window and window.work_done_progress)

    def supports_configuration(self) -> bool:
        caps = self.client_capabilities.workspace
        return bool(caps and caps.configuration)
