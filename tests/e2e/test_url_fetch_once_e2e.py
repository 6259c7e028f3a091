"""One request per URL in the editor, however many parts of the server want its body at once.

A client that answers ``workspace/configuration`` (VS Code, Neovim) has its settings pulled
after ``initialized``; a client asking for inlay hints as soon as it opens a document makes
the server resolve the document's references while that answer is on its way.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import client_capabilities

from tests.conftest import truth
from tests.e2e.lsp_helpers import SERVER, document_tokens, open_document
from tests.http_fixture import Upstream


async def _requests_for(
    paths: list[str], tmp_path: Path, user_config: Path, capabilities: str
) -> tuple[int, dict]:
    """Open a prompt referencing ``paths`` and ask for inlay hints at once; return how many
    requests reached the upstream once every body is counted, and the document's tokens."""
    root = tmp_path / "ws"
    root.mkdir()
    with Upstream() as upstream:
        # No minimum spacing: every fetch may start at once, the hardest case to share.
        user_config.write_text(
            f'[http]\nallow_hosts = ["{upstream.host}"]\nallow_http = true\n'
            "[rate]\nmin_interval_ms = 0\n"
        )
        client = pytest_lsp.make_test_lsp_client()
        client.set_configuration({"debounceMs": 0}, section="tokenls")
        client.set_configuration({"debounceMs": 0}, section="tokenls", scope_uri=root.as_uri())

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(_params: types.RegistrationParams) -> None:
            return None

        await client.start_io(*SERVER)
        try:
            caps = client_capabilities(capabilities)
            assert caps.workspace is not None and caps.workspace.configuration
            await client.initialize_session(
                types.InitializeParams(
                    capabilities=caps,
                    workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
                )
            )
            text = "".join(f"Summarise #url:{upstream.url(p)} please.\n" for p in paths)
            uri = (root / "web.prompt.md").as_uri()
            open_document(client, uri, text)
            await client.text_document_inlay_hint_async(
                types.InlayHintParams(
                    text_document=types.TextDocumentIdentifier(uri),
                    range=types.Range(types.Position(0, 0), types.Position(len(paths), 0)),
                )
            )

            async def counted() -> dict:
                while True:
                    result = await document_tokens(client, uri)
                    if all(r["status"] == "ok" for r in result["references"]):
                        return result
                    await asyncio.sleep(0.05)

            result = await asyncio.wait_for(counted(), timeout=20)
            await asyncio.sleep(0.5)  # a second fetch, were one running, would land by now
            return upstream.requests, result
        finally:
            await client.shutdown_session()


@pytest.mark.parametrize("capabilities", ["visual-studio-code", "neovim"])
@pytest.mark.parametrize("count", [1, 2])
async def test_each_url_is_fetched_once_when_settings_are_pulled_at_open(
    tmp_path: Path, user_config: Path, capabilities: str, count: int
) -> None:
    paths = [f"/ok/{i}" for i in range(count)]
    requests, result = await _requests_for(paths, tmp_path, user_config, capabilities)
    bodies = sum(truth(f"document {p}: alpha beta gamma\n", "o200k_base") for p in paths)
    assert result["tokens"] == result["ownTokens"] + bodies
    assert requests == count
