"""A language client attached to a fresh ``tokenls serve`` with a workspace folder."""

from __future__ import annotations

from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.e2e.lsp_helpers import SERVER


async def attach(lsp_client: LanguageClient, tmp_path: Path, **options: object) -> None:
    """Initialize a session with one workspace folder, counting inlay-hint refreshes."""
    lsp_client.refreshes = 0

    @lsp_client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)
    def refresh(_params: None) -> None:
        lsp_client.refreshes += 1

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(_params: types.RegistrationParams) -> None:
        return None

    lsp_client.root = tmp_path / "ws"
    lsp_client.root.mkdir()
    params = types.InitializeParams(
        capabilities=client_capabilities("neovim"),
        workspace_folders=[types.WorkspaceFolder(uri=lsp_client.root.as_uri(), name="ws")],
        initialization_options={"debounceMs": 0, **options},
    )
    await lsp_client.initialize_session(params)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    await attach(lsp_client, tmp_path)
    yield
    await lsp_client.shutdown_session()
