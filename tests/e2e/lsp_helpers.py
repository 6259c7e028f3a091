"""Helpers for driving the real server with pytest-lsp's client."""

from __future__ import annotations

import asyncio
import sys

from lsprotocol import types
from pytest_lsp import LanguageClient

SERVER = [sys.executable, "-m", "tokenls", "serve", "--stdio"]


def open_document(client: LanguageClient, uri: str, text: str) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="markdown", version=1, text=text)
        )
    )


async def document_tokens(client: LanguageClient, uri: str) -> dict:
    result = await client.protocol.send_request_async(
        "tokenls/documentTokens", {"textDocument": {"uri": uri}}
    )
    return plain(result)


def plain(value):  # type: ignore[no-untyped-def]
    """pygls hands custom results back as named tuples; compare them as JSON values."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


async def until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Poll for something the server sends on its own schedule (debounced, pushed)."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the server did not send what was expected in time")
