"""Every request gets an answer: a result or a JSON-RPC error, never silence.

pygls turns an incoming message into typed params while parsing it; when that fails (a
hover at line -1) it logs and drops the message, so the client waits forever. Here the
whole message is parsed first as plain JSON and typed afterwards, so a request that cannot
be typed is answered with InvalidParams, one that is not a request of any known shape with
InvalidRequest, and any request after ``shutdown`` with InvalidRequest. A ``didChange``
that cannot be typed is reported to the server, which marks the document out of sync
rather than letting its copy of the text silently diverge from the editor's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from cattrs import BaseValidationError, transform_error
from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
)
from pygls.protocol import LanguageServerProtocol

from tokenls import compat

log = logging.getLogger("tokenls")


class AnsweringProtocol(LanguageServerProtocol):
    """A protocol that answers every request it receives."""

    #: Called with (uri, reason) when a didChange cannot be applied; set by the server.
    on_change_lost: Callable[[str, str], None] | None = None

    def structure_message(self, data: dict[str, Any]) -> Any:
        # Called for every JSON object while parsing, innermost first: keep them plain and
        # type the whole message in ``handle_message``, where a failure can be answered.
        return data

    def handle_message(self, message: Any) -> None:
        if not isinstance(message, Mapping):
            log.warning("ignoring a JSON-RPC message that is not an object")
            return
        method = message.get("method")
        msg_id = message.get("id")
        is_request = "id" in message and method is not None
        if is_request and not (isinstance(msg_id, str | int) and not isinstance(msg_id, bool)):
            self._answer_error(
                None, JsonRpcInvalidRequest("the request id must be a string or number")
            )
            return
        if self._shutdown and is_request and method != types.EXIT:
            self._answer_error(
                msg_id, JsonRpcInvalidRequest("the server is shutting down; no more requests")
            )
            return
        if message.get("jsonrpc") != "2.0" or (method is not None and not isinstance(method, str)):
            if is_request:
                self._answer_error(msg_id, JsonRpcInvalidRequest("not a JSON-RPC 2.0 request"))
            return
        try:
            typed = super().structure_message(dict(message))
        except JsonRpcException as exc:
            self._unreadable(message, is_request, exc)
            return
        # ``isinstance`` against pygls's runtime-checkable protocol costs ~50 us a message.
        if is_request and not (hasattr(typed, "id") and hasattr(typed, "params")):
            self._answer_error(msg_id, JsonRpcInvalidRequest(f"{method} is not a request"))
            return
        super().handle_message(typed)

    def _unreadable(self, message: Mapping[str, Any], is_request: bool, exc: Exception) -> None:
        method = message.get("method")
        reason = _first_line(exc.__cause__ or exc)
        if is_request:
            self._answer_error(
                message.get("id"), JsonRpcInvalidParams(f"invalid params for {method}: {reason}")
            )
        elif method == types.TEXT_DOCUMENT_DID_CHANGE and self.on_change_lost is not None:
            document = (
                (message.get("params") or {}) if isinstance(message.get("params"), Mapping) else {}
            )
            uri = (
                document.get("textDocument", {}).get("uri")
                if isinstance(document.get("textDocument"), Mapping)
                else None
            )
            if isinstance(uri, str):
                self.on_change_lost(uri, f"a change could not be read ({reason})")
        else:
            log.warning("ignoring an unreadable %s notification: %s", method, reason)

    def _answer_error(self, msg_id: Any, error: JsonRpcException) -> None:
        compat.send_error(self, msg_id, error.to_response_error())


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _first_line(exc: BaseException) -> str:
    """What was wrong, in one short line: cattrs names the offending field."""
    if isinstance(exc, BaseValidationError):
        details = transform_error(exc)
        if details:
            return details[0][:200]
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
