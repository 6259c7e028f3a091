"""A cloned repository that ships a cache directory: nothing in it runs, nothing outside changes.

Each repository below names ``cache_dir = ".cache/tokenls"`` in its ``tokenls.toml`` (a
repository may name a cache inside itself) and commits that folder in one hostile shape:
pickles that run a command under the prompt's count keys, behind the old marker or a forged
seal; an expired row whose value file is a file outside; ``cache.db`` linked to another
SQLite file; value folders linked outside. It is cloned with git, then ``count``, ``check``,
the language server and the MCP tools run on the clone. The counts must still be tiktoken's,
the command must not have run and everything outside the clone must be as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import diskcache
import mcp
import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.conftest import truth
from tests.e2e.lsp_helpers import SERVER, document_tokens, open_document
from tokenls.mcp.server import build_server

STYLE = "Write short sentences. Name every file you change.\n" * 8
PROMPT = "# Review\n\nFollow #file:style.md in every review.\n"
SHAPES = [
    "pickle-under-old-marker",
    "pickle-under-forged-seal",
    "expired-row-names-outside-file",
    "database-linked-outside",
    "value-folders-linked-outside",
]


class _Command:
    """Pickles into a call of ``os.system``: what a hostile cache row carries."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (self.command,)


def _outside(base: Path) -> dict[str, Path]:
    outside = base / "outside"
    (outside / "values").mkdir(parents=True)
    (outside / "victim.txt").write_text("a file the cache must never delete\n")
    with sqlite3.connect(outside / "other.db") as db:
        db.execute("CREATE TABLE notes (body TEXT)")
        db.execute("INSERT INTO notes VALUES ('the user''s own database')")
    return {
        "ran": outside / "command-ran",
        "victim": outside / "victim.txt",
        "db": outside / "other.db",
        "values": outside / "values",
    }


def _snapshot(outside: dict[str, Path]) -> dict[str, object]:
    return {
        "ran": outside["ran"].exists(),
        "victim": outside["victim"].read_bytes(),
        "db": hashlib.sha256(outside["db"].read_bytes()).hexdigest(),
        "values": sorted(os.listdir(outside["values"])),
        "listing": sorted(p.name for p in outside["victim"].parent.iterdir()),
    }


def _hostile_cache(cache_dir: Path, shape: str, outside: dict[str, Path]) -> None:
    """The cache folder a hostile repository commits, made with diskcache itself."""
    cache_dir.mkdir(parents=True)
    marker = "This directory is a cache made by tokenls; it is safe to delete.\n"
    if shape == "pickle-under-forged-seal":
        marker += "seal: " + "ab" * 32 + "\n"
    (cache_dir / ".tokenls-cache").write_text(marker)
    if shape == "database-linked-outside":
        (cache_dir / "cache.db").symlink_to(outside["db"])
        return
    if shape == "value-folders-linked-outside":
        for name in ("00", "7f", "ff"):
            (cache_dir / name).symlink_to(outside["values"])
    command = _Command(f"touch {outside['ran']}")
    with diskcache.Cache(str(cache_dir)) as cache:
        for text in (PROMPT, STYLE):
            digest = hashlib.sha256(text.encode()).hexdigest()
            for encoding in ("o200k_base", "cl100k_base"):
                cache.set(f"count:{encoding}:{digest}", command)
        if shape == "expired-row-names-outside-file":
            cache.set("old", b"x" * 100_000)  # stored as a value file, then pointed outside
    if shape == "expired-row-names-outside-file":
        with sqlite3.connect(cache_dir / "cache.db") as db:
            db.execute(
                "UPDATE Cache SET filename = ?, expire_time = 1 WHERE key = 'old'",
                (str(outside["victim"]),),
            )


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _clone(base: Path, shape: str) -> tuple[Path, dict[str, Path]]:
    outside = _outside(base)
    source = base / "source"
    source.mkdir()
    (source / "tokenls.toml").write_text('cache_dir = ".cache/tokenls"\nbudget = 100000\n')
    (source / "style.md").write_text(STYLE)
    (source / "CLAUDE.md").write_text(PROMPT)
    _hostile_cache(source / ".cache" / "tokenls", shape, outside)
    _git("init", "-q", cwd=source)
    _git("add", "-A", "-f", cwd=source)
    _git("commit", "-q", "-m", "prompts", cwd=source)
    clone = base / "clone"
    _git("clone", "-q", str(source), str(clone), cwd=base)
    assert (clone / ".cache" / "tokenls" / ".tokenls-cache").is_file()
    return clone, outside


def _expected(encoding: str = "o200k_base") -> int:
    return truth(PROMPT, encoding) + truth(STYLE, encoding)


def _tokenls(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tokenls", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_count_and_check_on_a_cloned_hostile_cache_run_nothing(tmp_path: Path, shape: str) -> None:
    clone, outside = _clone(tmp_path, shape)
    before = _snapshot(outside)
    shipped = hashlib.sha256((clone / ".cache/tokenls/.tokenls-cache").read_bytes()).hexdigest()
    for _ in range(2):  # a second run would read whatever the first one wrote
        counted = _tokenls(clone, "count", "--json", "CLAUDE.md")
        assert counted.returncode == 0, counted.stderr
        assert json.loads(counted.stdout)["total"] == _expected()
        assert "Traceback" not in counted.stderr
        checked = _tokenls(clone, "check", "--format", "json", ".")
        assert checked.returncode == 0, checked.stderr
        assert "Traceback" not in checked.stderr
    assert "not made by tokenls" in counted.stderr or "symbolic links" in counted.stderr
    assert _snapshot(outside) == before
    after = hashlib.sha256((clone / ".cache/tokenls/.tokenls-cache").read_bytes()).hexdigest()
    assert after == shipped  # the repository's folder is left as it came


@pytest.mark.parametrize("shape", SHAPES)
async def test_mcp_tools_on_a_cloned_hostile_cache_run_nothing(tmp_path: Path, shape: str) -> None:
    clone, outside = _clone(tmp_path, shape)
    before = _snapshot(outside)
    async with mcp.Client(build_server(clone)) as client:
        counted = await client.call_tool("count_tokens", {"paths": ["CLAUDE.md"]})
        checked = await client.call_tool("check_budget", {"paths": ["."]})
    assert not counted.is_error and not checked.is_error
    assert counted.structured_content is not None
    assert counted.structured_content["total"] == _expected()
    assert _snapshot(outside) == before


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), params=SHAPES)
async def hostile_client(
    lsp_client: LanguageClient, tmp_path: Path, request: pytest.FixtureRequest
):
    clone, outside = _clone(tmp_path, request.param)
    lsp_client.clone, lsp_client.outside = clone, outside
    lsp_client.before = _snapshot(outside)

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(_params: types.RegistrationParams) -> None:
        return None

    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        workspace_folders=[types.WorkspaceFolder(uri=clone.as_uri(), name="clone")],
        initialization_options={"tokenls": {"debounceMs": 0}},
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def test_the_language_server_on_a_cloned_hostile_cache_runs_nothing(
    hostile_client: LanguageClient,
) -> None:
    uri = (hostile_client.clone / "CLAUDE.md").as_uri()
    open_document(hostile_client, uri, PROMPT)
    result = await document_tokens(hostile_client, uri)
    assert result["tokens"] == _expected()
    hover = await hostile_client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(2, 10))
    )
    assert hover is not None
    assert _snapshot(hostile_client.outside) == hostile_client.before
