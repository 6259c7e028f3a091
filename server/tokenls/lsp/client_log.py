"""tokenls's diagnostic log lines in the client's own log (``window/logMessage``)."""

from __future__ import annotations

import asyncio
import logging
from typing import ClassVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer


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
