"""``TOKENLS_LOG=debug`` and ``--verbose``: which engine counted, each cache hit or miss,
each rate wait and its reason, on standard error (and the language client's log); nothing
of it by default.

Every command here is the real ``tokenls`` process; URLs are fetched from a loopback server
(``tests/http_fixture.py``) the user config allows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import client_capabilities

from tests.e2e.lsp_helpers import SERVER, document_tokens, open_document
from tests.http_fixture import Upstream
from tests.test_mcp import _StdioClient

ENGINE = re.compile(
    r"^tokenls DEBUG tokenls\.engine: o200k_base counted by (pure \(Python\)|tiktoken|fast)", re.M
)
MISS = re.compile(
    r"^tokenls DEBUG tokenls\.cache: miss \(fresh\) count:o200k_base:[0-9a-f]{64}$", re.M
)
DISK = re.compile(
    r"^tokenls DEBUG tokenls\.cache: hit \(disk\) count:o200k_base:[0-9a-f]{64}$", re.M
)
MEMORY = re.compile(r"^tokenls DEBUG tokenls\.cache: hit \(memory\) ", re.M)


def _tokenls(root: Path, *args: str, log: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TOKENLS_LOG"}
    if log is not None:
        env["TOKENLS_LOG"] = log
    return subprocess.run(
        [sys.executable, "-m", "tokenls", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / ".git").mkdir(parents=True)
    (root / "notes.md").write_text("Keep answers short and cite the file you read.\n")
    (root / "a.md").write_text("# A\n\nFollow #file:notes.md\n")
    (root / "b.md").write_text("# B\n\nAlso #file:notes.md here\n")
    return root


def test_count_logs_the_engine_and_each_cache_miss_then_hit(project: Path) -> None:
    first = _tokenls(project, "count", "a.md", "b.md", log="debug")
    assert first.returncode == 0, first.stderr
    assert ENGINE.search(first.stderr) and MISS.search(first.stderr)
    assert MEMORY.search(first.stderr)  # b.md's reference: counted for a.md a moment ago
    again = _tokenls(project, "count", "a.md", "b.md", log="debug")
    assert DISK.search(again.stderr) and not MISS.search(again.stderr.replace("estimate", ""))
    plain = _tokenls(project, "count", "a.md", "b.md")
    assert plain.stderr == "" and plain.stdout == first.stdout == again.stdout


def test_verbose_is_debug_for_count_check_and_compress(project: Path) -> None:
    (project / "build.log").write_text("".join(f"step {i} ok\n" for i in range(200)) + "ERROR x\n")
    # Each command counts a text the cache has not seen, so an engine has to count it.
    for args in (("count", "a.md"), ("check", "b.md"), ("compress", "build.log", "--budget", "64")):
        verbose = _tokenls(project, *args, "--verbose")
        plain = _tokenls(project, *args)
        assert verbose.returncode == plain.returncode == 0, verbose.stderr
        assert "tokenls DEBUG tokenls.cache: " in verbose.stderr or args[0] == "compress"
        assert ENGINE.search(verbose.stderr), (args, verbose.stderr)
        assert "tokenls DEBUG" not in plain.stderr and verbose.stdout == plain.stdout


def test_an_unknown_level_is_named_and_ignored(project: Path) -> None:
    run = _tokenls(project, "count", "a.md", log="loud")
    assert run.returncode == 0
    assert run.stderr == (
        "tokenls: TOKENLS_LOG='loud' is not one of debug, info, warning, error; ignored\n"
    )


def _rate_config(user_config: Path, host: str, rate: str) -> None:
    user_config.write_text(f'[http]\nallow_hosts = ["{host}"]\nallow_http = true\n[rate]\n{rate}\n')


@pytest.mark.parametrize(
    ("rate", "paths", "line"),
    [
        # A minimum spacing: the second request waits for it.
        ("min_interval_ms = 400", ["/ok/1", "/ok/2"], r"wait 0\.\d\d s \(spacing\)"),
        # One request a minute at the 60% target: the second would wait past the 30 s bound.
        (
            'min_interval_ms = 0\n[rate.limits."{host}"]\nrequests_per_minute = 1',
            ["/ok/1", "/ok/2"],
            r"wait \d+\.\d\d s \(requests\)",
        ),
        # Five tokens a minute: the first body (8 tokens by chars/4) uses them up.
        (
            'min_interval_ms = 0\n[rate.limits."{host}"]\ntokens_per_minute = 5',
            ["/ok/1", "/ok/2"],
            r"wait \d+\.\d\d s \(tokens\)",
        ),
        # A 429 with Retry-After: 1 is waited out, then retried.
        ("min_interval_ms = 0", ["/retry"], r"HTTP 429, wait 1\.00 s, then retry \(backoff\)"),
    ],
)
def test_each_rate_wait_is_logged_with_its_reason(
    project: Path, user_config: Path, rate: str, paths: list[str], line: str
) -> None:
    with Upstream() as upstream:
        _rate_config(user_config, upstream.host, rate.replace("{host}", upstream.host))
        (project / "web.md").write_text("".join(f"#url:{upstream.url(p)}\n" for p in paths))
        logged = _tokenls(project, "check", "web.md", log="debug")
        assert re.search(
            rf"^tokenls DEBUG tokenls\.(rate|urls): {re.escape(upstream.host)}: {line}$",
            logged.stderr,
            re.M,
        ), logged.stderr
        assert f"{upstream.url(paths[0])}: HTTP cache miss, fetching" in logged.stderr
        assert re.search(r"HTTP 200, \d+ bytes \(fresh\)", logged.stderr)
        (project / "again.md").write_text(f"#url:{upstream.url(paths[-1])}\n")
        if "backoff" in line:  # a cached body: no request, and said so
            cached = _tokenls(project, "check", "again.md", log="debug")
            hit = f"tokenls DEBUG tokenls.cache: hit (disk) http:{upstream.url(paths[-1])}:0:"
            assert hit in cached.stderr and "fetching" not in cached.stderr
    with Upstream() as upstream:
        _rate_config(user_config, upstream.host, rate.replace("{host}", upstream.host))
        (project / "web.md").write_text("".join(f"#url:{upstream.url(p)}\n" for p in paths))
        quiet = _tokenls(project, "check", "web.md")
        assert "tokenls DEBUG" not in quiet.stderr and "wait" not in quiet.stderr


async def _server_log(root: Path, log: str | None, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The window/logMessage lines of a real ``tokenls serve`` counting one prompt."""
    if log is None:
        monkeypatch.delenv("TOKENLS_LOG", raising=False)
    else:
        monkeypatch.setenv("TOKENLS_LOG", log)
    client = pytest_lsp.make_test_lsp_client()
    await client.start_io(*SERVER)
    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities("neovim"),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
            )
        )
        for name in ("a.md", "b.md"):  # b.md's reference was counted for a.md: from memory
            uri = (root / name).as_uri()
            open_document(client, uri, (root / name).read_text())
            await document_tokens(client, uri)
    finally:
        await client.shutdown_session()
    return [m.message for m in client.log_messages if m.type == types.MessageType.Log]


async def test_the_language_server_logs_to_the_client_only_when_asked(
    project: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    logged = await _server_log(project, "debug", monkeypatch)
    text = "\n".join(logged)
    assert ENGINE.search(text) and re.search(
        r"tokenls\.cache: (miss \(fresh\)|hit \(disk\)) ", text
    )
    assert re.search(r"tokenls\.cache: hit \(memory\) ", text)
    stderr = capfd.readouterr().err
    assert "tokenls DEBUG tokenls.cache: " in stderr  # the client's stderr log has them too
    assert await _server_log(project, None, monkeypatch) == []
    assert "tokenls DEBUG" not in capfd.readouterr().err


def test_the_mcp_server_logs_to_stderr_only_when_asked(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def served(log: str | None) -> str:
        if log is None:
            monkeypatch.delenv("TOKENLS_LOG", raising=False)
        else:
            monkeypatch.setenv("TOKENLS_LOG", log)
        client = _StdioClient(project, cwd=tmp_path)
        try:
            client.initialize()
            result = client.call("count_tokens", {"paths": ["a.md"]})  # stdout: protocol only
            assert not result["isError"]
        finally:
            assert client.close() == 0
        return client.stderr()

    stderr = served("debug")
    assert ENGINE.search(stderr) and MISS.search(stderr)
    assert "tokenls DEBUG" not in served(None)


def test_one_process_running_commands_logs_only_for_the_one_asking(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--verbose`` on one command does not leave logging on for the next."""
    from tokenls.cli.main import main

    monkeypatch.delenv("TOKENLS_LOG", raising=False)
    monkeypatch.chdir(project)
    assert main(["count", "--verbose", "a.md"]) == 0
    assert "tokenls DEBUG tokenls.cache: miss (fresh) " in capsys.readouterr().err
    assert main(["count", "b.md"]) == 0
    assert capsys.readouterr().err == ""
