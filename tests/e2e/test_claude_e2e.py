"""A Claude prompt in the real server: the estimate at once, the exact count when it lands."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.anthropic_standin import CountTokensStandIn, answer_for
from tests.conftest import truth
from tests.e2e.conftest import attach
from tests.e2e.lsp_helpers import SERVER, document_tokens, open_document, until

KEY = "sk-ant-e2e-5b7d9f1a3c"
MODEL = "claude-sonnet-4-5"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = _free_port()
_HOME = Path(tempfile.mkdtemp(prefix="tokenls-claude-e2e-"))
ENV = {
    "PATH": os.environ.get("PATH", ""),
    "PYTHONPATH": os.pathsep.join(sys.path),
    "TOKENLS_CACHE_DIR": str(_HOME / "cache"),
    "TOKENLS_CONFIG": str(_HOME / "user.toml"),
    "ANTHROPIC_API_KEY": KEY,
    "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{PORT}",
}


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, server_env=ENV))
async def claude_client(lsp_client: LanguageClient, tmp_path: Path):
    await attach(lsp_client, tmp_path, model=MODEL)
    yield
    await lsp_client.shutdown_session()


async def _total_hint(client: LanguageClient, uri: str) -> str:
    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(types.Position(0, 0), types.Position(10, 0)),
        )
    )
    return str(hints[0].label)


@pytest.mark.e2e
async def test_a_claude_prompt_shows_the_estimate_then_the_exact_count(
    claude_client: LanguageClient,
) -> None:
    text = "# Triage\n\nRead the failing test output and name the most likely cause.\n"
    path = claude_client.root / "triage.md"  # type: ignore[attr-defined]
    path.write_text(text)
    uri = path.as_uri()
    answer = threading.Event()
    with CountTokensStandIn(KEY, port=PORT, gate=answer) as standin:
        open_document(claude_client, uri, text)
        first = await document_tokens(claude_client, uri)
        assert first["exact"] is False and first["model"] == MODEL
        assert "estimate until Anthropic's count arrives" in first["reason"]
        assert first["tokens"] == round(truth(text, "o200k_base") * 1.3)
        estimate = round(truth(text, "o200k_base") * 1.3)
        assert await _total_hint(claude_client, uri) == f"≈{estimate:,} tok ±15%"
        hover = await claude_client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(2, 3))
        )
        assert hover is not None and "estimate" in str(hover.contents).lower()

        answer.set()  # the endpoint answers now
        await until(lambda: claude_client.refreshes > 0)  # type: ignore[attr-defined]
        exact = await document_tokens(claude_client, uri)
        assert exact["exact"] is True and exact["tokens"] == answer_for(text)
        assert "reason" not in exact
        assert await _total_hint(claude_client, uri) == f"{answer_for(text):,} tok"
        assert standin.requests == 1

        # Typing: the estimate starts from the last exact count, only the change is scaled.
        answer.clear()
        edited = text + "Quote the failing assertion verbatim.\n"
        claude_client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
            )
        )
        typing = await document_tokens(claude_client, uri)
        change = truth(edited, "o200k_base") - truth(text, "o200k_base")
        assert typing["exact"] is False and "last exact count" in typing["reason"]
        assert typing["tokens"] == answer_for(text) + round(change * 1.3)
        refreshes = claude_client.refreshes  # type: ignore[attr-defined]
        answer.set()
        await until(lambda: claude_client.refreshes > refreshes)  # type: ignore[attr-defined]
        again = await document_tokens(claude_client, uri)
        assert again["exact"] is True and again["tokens"] == answer_for(edited)
