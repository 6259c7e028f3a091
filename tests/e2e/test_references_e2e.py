"""References through the real server: totals, hover, diagnostics, watching, restarts."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.conftest import truth
from tests.e2e.lsp_helpers import SERVER, document_tokens, open_document, plain, until

PROMPT = "# Agent rules\n\nFollow @docs/style.md and #file:missing.md for {{ team }}.\nAlso {{ unset }}.\n"


async def test_references_add_to_the_total_and_explain_themselves(client: LanguageClient) -> None:
    root: Path = client.root
    (root / "docs").mkdir()
    (root / "docs" / "style.md").write_text("Prefer small functions.\n@nested.md\n")
    (root / "docs" / "nested.md").write_text("Nested rule text.\n")
    text = "---\nvariables:\n  team: the platform team\n---\n" + PROMPT
    (root / "CLAUDE.md").write_text(text)
    uri = (root / "CLAUDE.md").as_uri()
    open_document(client, uri, text)
    result = await document_tokens(client, uri)
    imported = truth("Prefer small functions.\n@nested.md\n", "o200k_base") + truth(
        "Nested rule text.\n", "o200k_base"
    )
    variable = truth("the platform team", "o200k_base")
    assert result["ownTokens"] == truth(text, "o200k_base")
    assert result["tokens"] == result["ownTokens"] + imported + variable
    statuses = {(r["kind"], r["status"]) for r in result["references"]}
    assert statuses == {
        ("file", "ok"),
        ("file", "error"),
        ("variable", "ok"),
        ("variable", "error"),
    }
    missing = next(r for r in result["references"] if "missing" in r["target"])
    assert "file not found" in missing["error"] and missing["tokens"] == 0

    await until(lambda: len(client.diagnostics.get(uri, [])) >= 2)
    messages = {d.message: d.severity for d in client.diagnostics[uri]}
    assert any(
        "missing.md" in m and s == types.DiagnosticSeverity.Warning for m, s in messages.items()
    )
    assert any(
        "unbound variable" in m and s == types.DiagnosticSeverity.Information
        for m, s in messages.items()
    )

    line = text.splitlines().index(PROMPT.splitlines()[2])
    column = text.splitlines()[line].index("@docs") + 3
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri), position=types.Position(line, column)
        )
    )
    value = hover.contents.value
    assert f"{imported:,} tok" in value and "bytes" in value and "lines" in value
    assert "nested.md" in value and "$" in value and ("fresh" in value.lower() or "cache" in value)

    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=types.Range(types.Position(0, 0), types.Position(20, 0)),
        )
    )
    labels = [h.label for h in hints]
    assert f"+{imported:,} tok" in labels and "not counted" in labels
    assert labels[0] == f"{result['tokens']:,} tok"  # the total includes references


async def test_a_changed_referenced_file_is_recounted_and_hints_refreshed(
    client: LanguageClient,
) -> None:
    root: Path = client.root
    (root / "notes.md").write_text("short\n")
    text = "Context: #file:notes.md\n"
    uri = (root / "task.prompt.md").as_uri()
    open_document(client, uri, text)
    before = await document_tokens(client, uri)
    (root / "notes.md").write_text("a much longer note with many more words in it\n" * 20)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(uri=(root / "notes.md").as_uri(), type=types.FileChangeType.Changed)
            ]
        )
    )
    await until(lambda: client.refreshes >= 1)
    after = await document_tokens(client, uri)
    grown = truth("a much longer note with many more words in it\n" * 20, "o200k_base")
    assert after["tokens"] == before["ownTokens"] + grown
    assert client.refreshes >= 1


async def _session_counts(root: Path, uri: str, text: str) -> tuple[dict, dict]:
    client = pytest_lsp.make_test_lsp_client()
    await client.start_io(*SERVER)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
        )
    )
    open_document(client, uri, text)
    tokens = await document_tokens(client, uri)
    stats = plain(await client.protocol.send_request_async("tokenls/cacheStats", {}))
    await client.shutdown_session()
    return tokens, stats


async def test_counts_survive_a_server_restart(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "big.md").write_text("a reference worth caching\n" * 500)
    text = "#file:big.md\n"
    uri = (root / "p.md").as_uri()
    first, first_stats = await _session_counts(root, uri, text)
    second, second_stats = await _session_counts(root, uri, text)
    assert first["references"][0]["source"] == "fresh" and first_stats["misses"] >= 1
    assert second["references"][0]["source"] == "disk" and second_stats["disk_hits"] >= 1
    assert second["tokens"] == first["tokens"]


@pytest.mark.skipif(sys.platform != "linux", reason="/proc is Linux")
async def test_hostile_references_never_break_the_document(client: LanguageClient) -> None:
    root: Path = client.root
    (root / "loop").symlink_to(root / "loop")
    text = "#file:../../etc/passwd #file:/proc/self/environ #file:loop #file:~/.ssh/id_rsa\nrest\n"
    uri = (root / "h.md").as_uri()
    open_document(client, uri, text)
    result = await document_tokens(client, uri)
    assert result["tokens"] == truth(text, "o200k_base")
    assert [r["status"] for r in result["references"]] == ["error"] * 4


async def test_a_document_of_200000_references_answers_and_reports_the_rest_once(
    client: LanguageClient,
) -> None:
    root: Path = client.root
    (root / "notes").mkdir()
    for i in range(50):
        (root / "notes" / f"f{i}.md").write_text(f"note {i}\n")
    text = "".join(f"see #file:notes/f{i % 50}.md here\n" for i in range(200_000))
    uri = (root / "many.md").as_uri()
    started = time.monotonic()
    open_document(client, uri, text)
    result = await document_tokens(client, uri)
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"answered in {elapsed:.1f} s"  # was minutes, a gigabyte and more
    notes = sum(truth(f"note {i}\n", "o200k_base") for i in range(50))
    assert result["ownTokens"] == truth(text, "o200k_base")
    assert result["tokens"] == result["ownTokens"] + notes
    assert len(result["references"]) == 1001  # 1,000 resolved, then one for all the rest
    skipped = result["references"][-1]
    assert skipped["status"] == "error" and skipped["range"]["start"]["line"] == 1000
    assert "max_references" in skipped["error"] and "not read" in skipped["error"]
    assert result["referencesSkipped"] == 99_000 and result["referencesUnread"] is True
    await until(lambda: uri in client.diagnostics, timeout=60)
    [diagnostic] = client.diagnostics[uri]  # one diagnostic, not 199,000
    assert diagnostic.range.start.line == 1000 and "max_references" in diagnostic.message


async def test_url_references_resolve_in_the_background(client: LanguageClient) -> None:
    from tests.http_fixture import Upstream

    root: Path = client.root
    with Upstream() as upstream:
        # Network access is the user's to allow (editor settings); the workspace file
        # only shapes the rate.
        http = {"allowHosts": [upstream.host], "allowHttp": True}
        client.refreshes = 0
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"debounceMs": 0, "http": http})
        )
        await until(lambda: client.refreshes >= 1)  # the settings are in force
        (root / "tokenls.toml").write_text(
            f'[rate.limits."{upstream.host}"]\nrequests_per_minute = 600\n'
        )
        text = f"Summarise #url:{upstream.url('/ok/42')} please.\n"
        uri = (root / "web.prompt.md").as_uri()
        client.refreshes = 0
        open_document(client, uri, text)
        first = await document_tokens(client, uri)
        assert first["references"][0]["status"] in ("pending", "ok")
        await until(lambda: client.refreshes >= 1)
        done = await document_tokens(client, uri)
        body = truth("document /ok/42: alpha beta gamma\n", "o200k_base")
        assert done["references"][0]["status"] == "ok"
        assert done["tokens"] == done["ownTokens"] + body
        status = plain(await client.protocol.send_request_async("tokenls/rateStatus", {}))
        assert any(line.startswith(f"{upstream.host}: 1/600 rpm") for line in status["hosts"])
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri), position=types.Position(0, 14)
            )
        )
        assert "fetched just now" in hover.contents.value or "HTTP cache" in hover.contents.value
        assert f"{upstream.host}: 1/600 rpm, target 60%" in hover.contents.value
