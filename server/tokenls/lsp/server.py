"""The language server: a table of LSP handlers, each wiring one request to the session.

pygls's built-in text sync keeps its own copy of every document and rebuilds the whole
text on each incremental change; ``TokenlsProtocol`` skips that copy, and the session's
``Document`` applies the edits itself, so a keystroke costs what the edit touches.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import traceback
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from lsprotocol import types
from pygls.exceptions import JsonRpcContentModified
from pygls.lsp.server import LanguageServer
from pygls.protocol import (
    JsonRPCNotification,
    JsonRPCRequestMessage,
    default_converter,
    lsp_method,
)

from tokenls import __version__, log_setup
from tokenls.config import Problem
from tokenls.engine.text import PositionEncoding
from tokenls.lsp import convert
from tokenls.lsp.answering import AnsweringProtocol
from tokenls.lsp.exact_jobs import ExactJobs
from tokenls.lsp.session import Session, uri_to_path

if TYPE_CHECKING:
    from cattrs import Converter

    from tokenls.references.url_sources import BackgroundUrls
    from tokenls.references.urls import UrlFetcher

DOCUMENT_TOKENS = "tokenls/documentTokens"
COUNT_TEXT = "tokenls/countText"
CACHE_STATS = "tokenls/cacheStats"
RATE_STATUS = "tokenls/rateStatus"
CLEAR_CACHE = "tokenls/clearCache"
WATCHER_ID = "tokenls-referenced-files"
LARGE_LOG_TOKENS = 50_000  # compressions bigger than this report progress
log = logging.getLogger("tokenls")


class TokenlsProtocol(AnsweringProtocol):
    """Forwards document sync to the user handlers without pygls's workspace copy."""

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):  # type: ignore[override]
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):  # type: ignore[override]
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):  # type: ignore[override]
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


class ClientLog(logging.Handler):
    """tokenls's diagnostic lines (``TOKENLS_LOG``, ``--verbose``) in the client's own log
    too (``window/logMessage``: VS Code's output panel, Neovim's ``lsp.log``). Lines logged
    on worker threads are sent from the event loop, where every message is written."""

    KINDS: ClassVar[dict[int, types.MessageType]] = {
        logging.DEBUG: types.MessageType.Log,
        logging.INFO: types.MessageType.Info,
        logging.WARNING: types.MessageType.Warning,
    }

    def __init__(self, ls: LanguageServer) -> None:
        super().__init__()
        self.ls = ls
        self.loop: asyncio.AbstractEventLoop | None = None  # set once the server runs

    def emit(self, record: logging.LogRecord) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            text = self.format(record)
        except Exception:  # a bad format argument must not break the request logging it
            return
        kind = self.KINDS.get(record.levelno, types.MessageType.Error)
        params = types.LogMessageParams(type=kind, message=text)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.ls.window_log_message(params)
        else:
            loop.call_soon_threadsafe(self.ls.window_log_message, params)


def plain_params_converter() -> Converter:
    """pygls's converter, except that the params of requests it has no type for (tokenls's
    own) stay plain JSON: pygls makes a new namedtuple class for each of their objects,
    about a tenth of a millisecond on every ``tokenls/documentTokens``."""
    converter = default_converter()
    for message in (JsonRPCRequestMessage, JsonRPCNotification):
        converter.register_structure_hook(message, lambda obj, cls: cls(**obj))
    return converter


class TokenlsServer(LanguageServer):
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
        self.protocol.on_change_lost = self._change_lost  # type: ignore[attr-defined]
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.pending_problems: list[Problem] = []
        self.config_files: set[str] = set()  # config files showing problems
        self.progress_cancel: dict[str, threading.Event] = {}
        self.url_progress_token: str | None = None
        # References are resolved on one worker thread, one job per document at a time.
        self.resolving: dict[str, asyncio.Future[Any]] = {}
        self._resolver_pool: ThreadPoolExecutor | None = None

    async def analysed(self, uri: str) -> None:
        """Make the analysis of the document's current version ready. Resolving references
        runs on a worker thread from a snapshot, so keystrokes keep being applied; a job
        whose document moved on still serves every reference whose target is unchanged."""
        session = self.session
        while not session.analysed(uri):
            running = self.resolving.get(uri)
            if running is None:
                job = session.resolution_job(uri)
                if self._resolver_pool is None:
                    self._resolver_pool = ThreadPoolExecutor(1, thread_name_prefix="resolve")
                running = asyncio.get_running_loop().run_in_executor(self._resolver_pool, job.run)
                self.resolving[uri] = running
                running.add_done_callback(lambda done, j=job: self._resolved(j, done))
            await asyncio.shield(running)
            # A job that was done already returns without yielding, and its done-callback
            # (which files the result) runs on a later turn of the loop: yield to it.
            await asyncio.sleep(0)
        session.analyse(uri)

    def _resolved(self, job: Any, done: asyncio.Future[Any]) -> None:
        if self.resolving.get(job.uri) is done:
            del self.resolving[job.uri]
        if not done.cancelled() and done.exception() is None:
            self.session.finish_resolution(job, done.result())

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
        try:
            return self.session.get(uri).settings.debounce_ms / 1000
        except KeyError:
            return 0.0

    def _url_progress(self, done: int, total: int) -> None:
        if not _supports_progress(self):
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

    def publish_soon(self, uri: str, delay: float | None = None) -> None:
        """Publish diagnostics after the debounce; a newer change cancels older work."""
        if (task := self.pending.pop(uri, None)) is not None:
            task.cancel()
        if delay is None:
            delay = self.session.get(uri).settings.debounce_ms / 1000
        self.pending[uri] = asyncio.get_running_loop().create_task(self._publish_later(uri, delay))

    def publish_now(self, uri: str) -> None:
        """Publish as soon as the analysis is ready (on a running loop), else right away."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self.publish(uri)
            return
        self.publish_soon(uri, 0)

    async def _publish_later(self, uri: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        try:
            await self.analysed(uri)
        except Exception as exc:  # a failure here must not stop other documents
            self.pending.pop(uri, None)
            self.report_server_error(exc, None)
            return
        self.pending.pop(uri, None)
        self.publish(uri)

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
            self.publish_now(uri)
        caps = self.client_capabilities.workspace
        if caps and caps.inlay_hint and caps.inlay_hint.refresh_support:
            self.workspace_inlay_hint_refresh(None)


server = TokenlsServer()


@server.feature(types.INITIALIZE)
def initialize(ls: TokenlsServer, params: types.InitializeParams) -> None:
    for handler in logging.getLogger("tokenls").handlers:
        if isinstance(handler, ClientLog):
            handler.loop = asyncio.get_running_loop()
    encoding = str(ls.workspace.position_encoding or "utf-16")
    ls.session.position_encoding = _position_encoding(encoding)
    ls.session.roots = [
        p for p in (_path(f.uri) for f in (params.workspace_folders or [])) if p is not None
    ]
    if not ls.session.roots and params.root_uri and (root := _path(params.root_uri)):
        ls.session.roots = [root]
    ls.pending_problems = ls.session.configure(_settings(params.initialization_options))
    # Load the tokenizer while the client gets ready, not on the first keystroke.
    threading.Thread(target=ls.session.warm_up, daemon=True).start()


@server.feature(types.INITIALIZED)
async def initialized(ls: TokenlsServer, _params: types.InitializedParams) -> None:
    if ls.session.roots and _supports_configuration(ls):
        ls.pending_problems += await pull_folder_settings(ls)
    ls.show_problems(ls.pending_problems)
    caps = ls.client_capabilities.workspace
    watched = caps.did_change_watched_files if caps else None
    if watched and watched.dynamic_registration:
        # Referenced files live anywhere in the workspace: watch it all, re-count on change.
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern="**/*")]
        )
        registration = types.Registration(
            id=WATCHER_ID, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options
        )
        try:
            await ls.client_register_capability_async(types.RegistrationParams([registration]))
        except Exception as exc:  # the client said it could, then refused: count without it
            ls.window_log_message(
                types.LogMessageParams(
                    type=types.MessageType.Info,
                    message=f"tokenls: file watching unavailable ({exc}); save to re-count",
                )
            )


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: TokenlsServer, params: types.DidChangeWatchedFilesParams) -> None:
    if any(c.uri.endswith(("/tokenls.toml", "/pyproject.toml")) for c in params.changes):
        ls.session.reload_config()
        ls.show_problems(ls.session.config_problems())
    ls.session.files_changed()
    ls.refresh_all()


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(
    ls: TokenlsServer, params: types.DidChangeConfigurationParams
) -> None:
    raw = params.settings
    if raw or not _supports_configuration(ls):  # pushed settings apply to every folder
        ls.show_problems(ls.session.configure(_settings(raw)))
    else:  # "settings changed, ask me": each folder's own (VS Code's include, cacheDir...)
        window = [types.ConfigurationItem(section="tokenls")]
        answer = await ls.workspace_configuration_async(types.ConfigurationParams(items=window))
        problems = ls.session.configure(_settings(answer[0] if answer else None))
        ls.show_problems(problems + await pull_folder_settings(ls))
    ls.refresh_all()


async def pull_folder_settings(ls: TokenlsServer) -> list[Any]:
    """Ask the client for each workspace folder's settings (``workspace/configuration``
    with a scope): a multi-root window can set ``include`` or ``cacheDir`` per folder."""
    folders = list(ls.session.roots)
    items = [types.ConfigurationItem(scope_uri=f.as_uri(), section="tokenls") for f in folders]
    try:
        answers = await ls.workspace_configuration_async(types.ConfigurationParams(items=items))
    except Exception as exc:  # a client that cannot answer keeps initializationOptions
        log.info("workspace/configuration unavailable: %s", exc)
        return []
    problems: list[Any] = []
    for folder, answer in zip(folders, answers or [], strict=False):
        if isinstance(answer, Mapping):
            problems += ls.session.configure(answer, folder)
    return problems


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: TokenlsServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    ls.session.active_uri = item.uri
    ls.session.open(item.uri, item.text, item.version)
    ls.show_problems(ls.session.config_problems())
    ls.publish_soon(item.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: TokenlsServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.session.active_uri = params.text_document.uri
    changes = [convert.change(c) for c in params.content_changes]
    ls.session.change(params.text_document.uri, params.text_document.version, changes)
    ls.publish_soon(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: TokenlsServer, params: types.DidSaveTextDocumentParams) -> None:
    if params.text_document.uri.endswith(("/tokenls.toml", "/pyproject.toml")):
        ls.session.reload_config()
        ls.show_problems(ls.session.config_problems())
        ls.refresh_all()


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: TokenlsServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    if (task := ls.pending.pop(uri, None)) is not None:
        task.cancel()
    ls.session.close(uri)
    ls.exact_jobs.forget(uri)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=True))
async def inlay_hints(ls: TokenlsServer, params: types.InlayHintParams) -> list[types.InlayHint]:
    r = params.range
    if ls.session.included(params.text_document.uri):
        await ls.analysed(params.text_document.uri)
    hints = ls.session.hints(params.text_document.uri, r.start.line, r.end.line)
    return [convert.inlay_hint(h) for h in hints]


@server.feature(types.INLAY_HINT_RESOLVE)
async def inlay_hint_resolve(ls: TokenlsServer, hint: types.InlayHint) -> types.InlayHint:
    data = hint.data if isinstance(hint.data, Mapping) else {}
    uri = data.get("uri")
    if isinstance(uri, str) and uri in ls.session.open_uris():
        await ls.analysed(uri)
    tooltip = ls.session.hint_tooltip(data)
    if tooltip:
        hint.tooltip = convert.markdown(tooltip)
    return hint


@server.feature(types.TEXT_DOCUMENT_HOVER)
async def hover(ls: TokenlsServer, params: types.HoverParams) -> types.Hover | None:
    position = params.position
    await ls.analysed(params.text_document.uri)
    text = ls.session.hover(params.text_document.uri, position.line, position.character)
    return types.Hover(contents=convert.markdown(text)) if text else None


@server.feature(DOCUMENT_TOKENS)
async def document_tokens(ls: TokenlsServer, params: Any) -> dict[str, Any]:
    uri = _field(_field(params, "textDocument") or _field(params, "text_document"), "uri")
    if not isinstance(uri, str):
        raise ValueError('expected params {"textDocument": {"uri": "..."}}')
    await ls.analysed(uri)
    return ls.session.document_tokens(uri)


@server.feature(COUNT_TEXT)
def count_text(ls: TokenlsServer, params: Any) -> dict[str, Any]:
    """The tokens of texts (an editor's selections) with an open document's encoding."""
    uri = _field(_field(params, "textDocument"), "uri")
    texts = _field(params, "texts")
    if not (isinstance(uri, str) and isinstance(texts, list)) or not all(
        isinstance(text, str) for text in texts
    ):
        raise ValueError('expected params {"textDocument": {"uri": "..."}, "texts": ["..."]}')
    return ls.session.count_texts(uri, texts)


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.RefactorRewrite, types.CodeActionKind.QuickFix],
        resolve_provider=True,
    ),
)
async def code_actions(ls: TokenlsServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    r = params.range
    await ls.analysed(params.text_document.uri)
    on_budget = any(
        d.source == "tokenls" and d.code == "budget" for d in params.context.diagnostics
    )
    offers = ls.session.code_action_offers(
        params.text_document.uri,
        (r.start.line, r.start.character),
        (r.end.line, r.end.character),
        on_budget,
    )
    return [convert.code_action_offer(o) for o in offers]


@server.feature(types.CODE_ACTION_RESOLVE)
async def code_action_resolve(ls: TokenlsServer, action: types.CodeAction) -> types.CodeAction:
    data = action.data if isinstance(action.data, Mapping) else {}
    if isinstance(data.get("uri"), str) and data["uri"] in ls.session.open_uris():
        await ls.analysed(data["uri"])
    job = ls.session.prepare_code_action(data)
    if job is None:
        raise JsonRpcContentModified("the document changed since this action was offered")
    stop = threading.Event()
    token = f"tokenls-compress-{uuid.uuid4().hex}"
    large = int(data.get("tokens", 0) or 0) > LARGE_LOG_TOKENS or data.get("action") == "reference"
    progress = large and _supports_progress(ls)
    if progress:
        await ls.work_done_progress.create_async(token)
        ls.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title="Compressing log", cancellable=True)
        )
        ls.progress_cancel[token] = stop
    try:
        plan = await asyncio.get_running_loop().run_in_executor(None, job, stop.is_set)
    except asyncio.CancelledError:
        stop.set()  # the client cancelled the request: stop the worker too
        raise
    finally:
        if progress:
            ls.progress_cancel.pop(token, None)
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message="done"))
    if plan is None:
        raise ValueError("nothing to compress here any more")
    uri, version = str(data["uri"]), int(data["version"])
    if ls.session.version(uri) != version:  # typed while compressing: the edit is stale
        raise JsonRpcContentModified("the document changed while compressing; ask again")
    # Stamped with the version it was computed on: a client rejects it once the text moved.
    action.edit = convert.workspace_edit(plan, uri, version, ls.session.lsp_position)
    return action


@server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
def progress_cancel(ls: TokenlsServer, params: types.WorkDoneProgressCancelParams) -> None:
    if (event := ls.progress_cancel.pop(str(params.token), None)) is not None:
        event.set()


def _supports_progress(ls: TokenlsServer) -> bool:
    window = ls.client_capabilities.window
    return bool(window and window.work_done_progress)


@server.feature(RATE_STATUS)
def rate_status(ls: TokenlsServer, _params: Any) -> dict[str, Any]:
    return {"hosts": ls.session.rate_status()}


@server.feature(CLEAR_CACHE)
def clear_cache(ls: TokenlsServer, _params: Any) -> dict[str, Any]:
    for cache in ls.session.caches():
        cache.clear()
    ls.session.files_changed()
    ls.refresh_all()
    return ls.session.cache_stats()


@server.feature(CACHE_STATS)
def cache_stats(ls: TokenlsServer, _params: Any) -> dict[str, Any]:
    return ls.session.cache_stats()


def _field(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


def _settings(raw: Any) -> Mapping[str, Any]:
    return raw if isinstance(raw, Mapping) else {}


def _supports_configuration(ls: TokenlsServer) -> bool:
    caps = ls.client_capabilities.workspace
    return bool(caps and caps.configuration)


def _position_encoding(name: str) -> PositionEncoding:
    return name if name in ("utf-8", "utf-32") else "utf-16"  # type: ignore[return-value]


def _path(uri: str) -> Path | None:
    return uri_to_path(uri)


def run(tcp: str | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    if log_setup.configured_level() is not None:  # TOKENLS_LOG / --verbose: the client too
        client_log = ClientLog(server)
        client_log.setFormatter(logging.Formatter(log_setup.FORMAT))
        logging.getLogger("tokenls").addHandler(client_log)
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        from tokenls.lsp.stdio import start_io

        return start_io(server)
    return 0
