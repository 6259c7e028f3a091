"""Handlers of the editor's notifications: lifecycle, settings, and document sync.

Each gets what it needs from the session, calls it, and leaves slow work to the scheduler.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping
from typing import Any

from lsprotocol import types

from tokenls.engine.text import PositionEncoding
from tokenls.lsp import convert
from tokenls.lsp.client_log import ClientLog
from tokenls.lsp.language_server import TokenlsServer
from tokenls.lsp.session import uri_to_path

WATCHER_ID = "tokenls-referenced-files"
log = logging.getLogger("tokenls")


def initialize(ls: TokenlsServer, params: types.InitializeParams) -> None:
    for handler in logging.getLogger("tokenls").handlers:
        if isinstance(handler, ClientLog):
            handler.loop = asyncio.get_running_loop()
    encoding = str(ls.workspace.position_encoding or "utf-16")
    ls.session.position_encoding = _position_encoding(encoding)
    ls.session.roots = [
        p for p in (uri_to_path(f.uri) for f in (params.workspace_folders or [])) if p is not None
    ]
    if not ls.session.roots and params.root_uri and (root := uri_to_path(params.root_uri)):
        ls.session.roots = [root]
    ls.pending_problems = ls.session.configure(_settings(params.initialization_options))
    # Load the tokenizer while the client gets ready, not on the first keystroke.
    threading.Thread(target=ls.session.warm_up, daemon=True).start()


async def initialized(ls: TokenlsServer, _params: types.InitializedParams) -> None:
    if ls.session.roots and ls.supports_configuration():
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


def did_change_watched_files(ls: TokenlsServer, params: types.DidChangeWatchedFilesParams) -> None:
    if any(c.uri.endswith(("/tokenls.toml", "/pyproject.toml")) for c in params.changes):
        ls.session.reload_config()
        ls.show_problems(ls.session.config_problems())
    ls.session.files_changed()
    ls.refresh_all()


async def did_change_configuration(
    ls: TokenlsServer, params: types.DidChangeConfigurationParams
) -> None:
    raw = params.settings
    if raw or not ls.supports_configuration():  # pushed settings apply to every folder
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


def did_open(ls: TokenlsServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    ls.session.active_uri = item.uri
    ls.session.open(item.uri, item.text, item.version)
    ls.show_problems(ls.session.config_problems())
    ls.scheduler.publish_soon(item.uri)


def did_change(ls: TokenlsServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.session.active_uri = params.text_document.uri
    changes = [convert.change(c) for c in params.content_changes]
    ls.session.change(params.text_document.uri, params.text_document.version, changes)
    ls.scheduler.publish_soon(params.text_document.uri)


def did_save(ls: TokenlsServer, params: types.DidSaveTextDocumentParams) -> None:
    if params.text_document.uri.endswith(("/tokenls.toml", "/pyproject.toml")):
        ls.session.reload_config()
        ls.show_problems(ls.session.config_problems())
        ls.refresh_all()


def did_close(ls: TokenlsServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.scheduler.cancel(uri)
    ls.session.close(uri)
    ls.exact_jobs.forget(uri)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _settings(raw: Any) -> Mapping[str, Any]:
    return raw if isinstance(raw, Mapping) else {}


def _position_encoding(name: str) -> PositionEncoding:
    return name if name in ("utf-8", "utf-32") else "utf-16"  # type: ignore[return-value]


HANDLERS = [
    (types.INITIALIZE, initialize, None),
    (types.INITIALIZED, initialized, None),
    (types.WORKSPACE_DID_CHANGE_WATCHED_FILES, did_change_watched_files, None),
    (types.WORKSPACE_DID_CHANGE_CONFIGURATION, did_change_configuration, None),
    (types.TEXT_DOCUMENT_DID_OPEN, did_open, None),
    (types.TEXT_DOCUMENT_DID_CHANGE, did_change, None),
    (types.TEXT_DOCUMENT_DID_SAVE, did_save, None),
    (types.TEXT_DOCUMENT_DID_CLOSE, did_close, None),
]
