"""Two workspace folders in one server: their own settings, caches and config problems."""

from __future__ import annotations

from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.conftest import truth
from tests.e2e.lsp_helpers import SERVER, document_tokens, open_document, until

TEXT = "Summarise the incident report below, then list follow-ups. #file:notes.md\n"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    roots = [tmp_path / "alpha", tmp_path / "beta"]
    for root, encoding in zip(roots, ("cl100k_base", "o200k_base"), strict=True):
        root.mkdir()
        (root / "tokenls.toml").write_text(
            f'encoding = "{encoding}"\ncache_dir = ".cache/tokenls"\nbudjet = 10\n'
        )
        (root / "notes.md").write_text(f"Notes of {root.name}: the disk filled up.\n")
    lsp_client.roots = roots

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(_params: types.RegistrationParams) -> None:
        return None

    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        workspace_folders=[types.WorkspaceFolder(uri=r.as_uri(), name=r.name) for r in roots],
        initialization_options={"tokenls": {"debounceMs": 0}},
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def test_each_root_has_its_own_settings_cache_and_config_diagnostics(
    client: LanguageClient,
) -> None:
    alpha, beta = client.roots
    results = {}
    for root in (alpha, beta):
        uri = (root / "p.md").as_uri()
        open_document(client, uri, TEXT)
        results[root.name] = await document_tokens(client, uri)
    for root, encoding in ((alpha, "cl100k_base"), (beta, "o200k_base")):
        result = results[root.name]
        notes = truth((root / "notes.md").read_text(), encoding)
        assert result["encoding"] == encoding
        assert result["tokens"] == truth(TEXT, encoding) + notes
        assert (root / ".cache" / "tokenls").is_dir()  # each root's own cache directory

    # The typo is shown on each config file, at the key's line, with one message.
    configs = {(r / "tokenls.toml").as_uri() for r in (alpha, beta)}
    await until(lambda: configs <= set(client.diagnostics))
    for uri in configs:
        [diagnostic] = client.diagnostics[uri]
        assert diagnostic.range.start.line == 2
        assert "budjet" in diagnostic.message and "did you mean 'budget'" in diagnostic.message
    await until(lambda: any("budjet" in m.message for m in client.messages))
    assert sum("budjet" in m.message for m in client.messages) <= 2  # one per open event

    # Fixing one file clears its diagnostic.
    (alpha / "tokenls.toml").write_text('encoding = "cl100k_base"\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent((alpha / "tokenls.toml").as_uri(), types.FileChangeType.Changed)]
        )
    )
    await until(lambda: not client.diagnostics[(alpha / "tokenls.toml").as_uri()])
    assert client.diagnostics[(beta / "tokenls.toml").as_uri()]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def pulling(lsp_client: LanguageClient, tmp_path: Path):
    """A client like VS Code: settings are pulled per folder with workspace/configuration."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "tokenls.toml").write_text('encoding = "cl100k_base"\n')
    lsp_client.root = root
    lsp_client.set_configuration({}, section="tokenls")  # the user set nothing yet
    lsp_client.set_configuration({}, section="tokenls", scope_uri=root.as_uri())

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(_params: types.RegistrationParams) -> None:
        return None

    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
        initialization_options={"tokenls": {}},
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def test_a_pulled_user_setting_wins_only_once_set(pulling: LanguageClient) -> None:
    root = pulling.root
    uri = (root / "p.md").as_uri()
    open_document(pulling, uri, TEXT)
    assert (await document_tokens(pulling, uri))["encoding"] == "cl100k_base"
    pulling.set_configuration(
        {"encoding": "o200k_base"}, section="tokenls", scope_uri=root.as_uri()
    )
    pulling.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))

    async def encoding() -> str:
        return (await document_tokens(pulling, uri))["encoding"]

    for _ in range(100):
        if await encoding() == "o200k_base":
            break
    assert await encoding() == "o200k_base"


async def test_a_document_outside_every_folder_and_project_reads_no_file(
    client: LanguageClient, tmp_path: Path
) -> None:
    loose = tmp_path / "downloads"
    loose.mkdir()
    (loose / "secret.md").write_text("password: hunter2\n")
    text = "Read #file:../../../../../../../../etc/passwd and #file:secret.md now.\n"
    documents = {
        "file:///x.md": "outside every workspace folder",
        (loose / "p.md").as_uri(): "outside every workspace folder",
        f"file://fileserver.example{client.roots[0]}/p.md": "on another machine",
    }
    for uri, reason in documents.items():
        open_document(client, uri, text)
        result = await document_tokens(client, uri)
        assert result["tokens"] == truth(text, "o200k_base")  # nothing added, nothing read
        assert [r["status"] for r in result["references"]] == ["error", "error"]
        assert all(reason in r["error"] for r in result["references"]), result["references"]
