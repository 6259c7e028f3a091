"""Handlers of the editor's requests: each waits for the analysis, asks the session, converts."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcContentModified

from tokenls.lsp import convert
from tokenls.lsp.language_server import TokenlsServer

DOCUMENT_TOKENS = "tokenls/documentTokens"
COUNT_TEXT = "tokenls/countText"
CACHE_STATS = "tokenls/cacheStats"
RATE_STATUS = "tokenls/rateStatus"
CLEAR_CACHE = "tokenls/clearCache"
LARGE_LOG_TOKENS = 50_000  # compressions bigger than this report progress


async def inlay_hints(ls: TokenlsServer, params: types.InlayHintParams) -> list[types.InlayHint]:
    r = params.range
    if ls.session.included(params.text_document.uri):
        await ls.scheduler.analysed(params.text_document.uri)
    hints = ls.session.hints(params.text_document.uri, r.start.line, r.end.line)
    return [convert.inlay_hint(h) for h in hints]


async def inlay_hint_resolve(ls: TokenlsServer, hint: types.InlayHint) -> types.InlayHint:
    data = hint.data if isinstance(hint.data, Mapping) else {}
    uri = data.get("uri")
    if isinstance(uri, str) and uri in ls.session.open_uris():
        await ls.scheduler.analysed(uri)
    tooltip = ls.session.hint_tooltip(data)
    if tooltip:
        hint.tooltip = convert.markdown(tooltip)
    return hint


async def hover(ls: TokenlsServer, params: types.HoverParams) -> types.Hover | None:
    position = params.position
    await ls.scheduler.analysed(params.text_document.uri)
    text = ls.session.hover(params.text_document.uri, position.line, position.character)
    return types.Hover(contents=convert.markdown(text)) if text else None


async def document_tokens(ls: TokenlsServer, params: Any) -> dict[str, Any]:
    uri = _field(_field(params, "textDocument") or _field(params, "text_document"), "uri")
    if not isinstance(uri, str):
        raise ValueError('expected params {"textDocument": {"uri": "..."}}')
    await ls.scheduler.analysed(uri)
    return ls.session.document_tokens(uri)


def count_text(ls: TokenlsServer, params: Any) -> dict[str, Any]:
    """The tokens of texts (an editor's selections) with an open document's encoding."""
    uri = _field(_field(params, "textDocument"), "uri")
    texts = _field(params, "texts")
    if not (isinstance(uri, str) and isinstance(texts, list)) or not all(
        isinstance(text, str) for text in texts
    ):
        raise ValueError('expected params {"textDocument": {"uri": "..."}, "texts": ["..."]}')
    return ls.session.count_texts(uri, texts)


async def code_actions(ls: TokenlsServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    r = params.range
    await ls.scheduler.analysed(params.text_document.uri)
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


async def code_action_resolve(ls: TokenlsServer, action: types.CodeAction) -> types.CodeAction:
    data = action.data if isinstance(action.data, Mapping) else {}
    if isinstance(data.get("uri"), str) and data["uri"] in ls.session.open_uris():
        await ls.scheduler.analysed(data["uri"])
    job = ls.session.prepare_code_action(data)
    if job is None:
        raise JsonRpcContentModified("the document changed since this action was offered")
    token = f"tokenls-compress-{uuid.uuid4().hex}"
    stop = ls.scheduler.cancellable(token)
    large = int(data.get("tokens", 0) or 0) > LARGE_LOG_TOKENS or data.get("action") == "reference"
    progress = large and ls.supports_progress()
    if progress:
        await ls.work_done_progress.create_async(token)
        ls.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title="Compressing log", cancellable=True)
        )
    try:
        plan = await asyncio.get_running_loop().run_in_executor(None, job, stop.is_set)
    except asyncio.CancelledError:
        stop.set()  # the client cancelled the request: stop the worker too
        raise
    finally:
        ls.scheduler.finished(token)
        if progress:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message="done"))
    if plan is None:
        raise ValueError("nothing to compress here any more")
    uri, version = str(data["uri"]), int(data["version"])
    if ls.session.version(uri) != version:  # typed while compressing: the edit is stale
        raise JsonRpcContentModified("the document changed while compressing; ask again")
    # Stamped with the version it was computed on: a client rejects it once the text moved.
    action.edit = convert.workspace_edit(plan, uri, version, ls.session.lsp_position)
    return action


def progress_cancel(ls: TokenlsServer, params: types.WorkDoneProgressCancelParams) -> None:
    ls.scheduler.cancel_job(str(params.token))


def rate_status(ls: TokenlsServer, _params: Any) -> dict[str, Any]:
    return {"hosts": ls.session.rate_status()}


def clear_cache(ls: TokenlsServer, _params: Any) -> dict[str, Any]:
    for cache in ls.session.caches():
        cache.clear()
    ls.session.files_changed()
    ls.refresh_all()
    return ls.session.cache_stats()


def cache_stats(ls: TokenlsServer, _params: Any) -> dict[str, Any]:
    return ls.session.cache_stats()


def _field(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


HANDLERS = [
    (types.TEXT_DOCUMENT_INLAY_HINT, inlay_hints, types.InlayHintOptions(resolve_provider=True)),
    (types.INLAY_HINT_RESOLVE, inlay_hint_resolve, None),
    (types.TEXT_DOCUMENT_HOVER, hover, None),
    (DOCUMENT_TOKENS, document_tokens, None),
    (COUNT_TEXT, count_text, None),
    (
        types.TEXT_DOCUMENT_CODE_ACTION,
        code_actions,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.RefactorRewrite, types.CodeActionKind.QuickFix],
            resolve_provider=True,
        ),
    ),
    (types.CODE_ACTION_RESOLVE, code_action_resolve, None),
    (types.WINDOW_WORK_DONE_PROGRESS_CANCEL, progress_cancel, None),
    (RATE_STATUS, rate_status, None),
    (CLEAR_CACHE, clear_cache, None),
    (CACHE_STATS, cache_stats, None),
]
