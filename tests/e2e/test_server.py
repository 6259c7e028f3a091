"""The real ``tokenls serve`` over stdio, driven by pytest-lsp's client."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.conftest import truth
from tests.e2e.lsp_helpers import SERVER, document_tokens, open_document
from tests.test_document import _reference_offset

PROSE = "Explain the failure below and propose a minimal fix. Keep the answer short.\n"


def _doc(title: str, body_lines: int) -> str:
    body = "".join(f"{i}. {PROSE}" for i in range(body_lines))
    return f"# {title}\n\n{body}\n## Details\n\nnaïve café — 日本語 😀 text.\n{body}"


@pytest_lsp.fixture(
    params=["visual-studio-code", "neovim"],
    config=ClientServerConfig(server_command=SERVER),
)
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient):
    params = types.InitializeParams(
        capabilities=client_capabilities(request.param),
        initialization_options={"tokenls": {"debounceMs": 0}},
    )
    lsp_client.inlay_hint_refreshes = 0
    lsp_client.registrations = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        lsp_client.registrations.extend(params.registrations)

    @lsp_client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)
    def refresh(_params: None) -> None:
        lsp_client.inlay_hint_refreshes += 1

    result = await lsp_client.initialize_session(params)
    lsp_client.position_encoding = result.capabilities.position_encoding or "utf-16"
    yield
    await lsp_client.shutdown_session()


async def _diagnostics(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics.get(uri, []))


async def test_document_tokens_match_tiktoken_after_random_edits(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = (tmp_path / "prompt.md").as_uri()
    text = _doc("Task", 20)
    open_document(client, uri, text)
    rng = random.Random(7)
    encoding = client.position_encoding
    pieces = ["x", "é", "😀", "\n", "\r\n", "## New\n", "", "  ", "/", "日本"]
    for version in range(2, 60):
        lines = text.count("\n") + 1
        l0, l1 = sorted((rng.randrange(lines), rng.randrange(lines)))
        if rng.random() < 0.7:
            l1 = l0
        c0, c1 = rng.randrange(40), rng.randrange(40)
        new = rng.choice(pieces) * rng.randrange(1, 3)
        start = _reference_offset(text, l0, c0, encoding)
        end = _reference_offset(text, l1, c1, encoding)
        if end < start:
            (l0, c0, start), (l1, c1, end) = (l1, c1, end), (l0, c0, start)
        text = text[:start] + new + text[end:]
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                [
                    types.TextDocumentContentChangePartial(
                        range=types.Range(types.Position(l0, c0), types.Position(l1, c1)), text=new
                    )
                ],
            )
        )
    result = await document_tokens(client, uri)
    assert result["tokens"] == truth(text, "o200k_base")
    assert result["ownTokens"] == result["tokens"]
    assert result["exact"] is True and result["encoding"] == "o200k_base"
    assert result["references"] == []


async def test_inlay_hints_show_total_and_sections_in_range(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = (tmp_path / "p.md").as_uri()
    text = _doc("Task", 3)
    open_document(client, uri, text)
    lines = text.splitlines(keepends=True)
    everything = types.Range(types.Position(0, 0), types.Position(len(lines), 0))
    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(text_document=types.TextDocumentIdentifier(uri), range=everything)
    )
    labels = {h.position.line: h.label for h in hints}
    details = next(i for i, line in enumerate(lines) if line.startswith("## Details"))
    assert labels[0] == f"{truth(text, 'o200k_base'):,} tok"
    assert labels[details] == f"{truth(''.join(lines[details:]), 'o200k_base'):,} tok"
    later = types.Range(types.Position(1, 0), types.Position(len(lines), 0))
    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(text_document=types.TextDocumentIdentifier(uri), range=later)
    )
    assert [h.position.line for h in hints] == [details]
    resolved = await client.inlay_hint_resolve_async(hints[0])
    assert "## Details" in resolved.tooltip.value and "of the document" in resolved.tooltip.value


async def test_budget_ladder_follows_settings(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "ladder.md").as_uri()
    text = _doc("Ladder", 30)
    total = truth(text, "o200k_base")
    open_document(client, uri, text)
    assert await _diagnostics(client, uri) == []
    expected = [
        (int(total / 0.7), types.DiagnosticSeverity.Information),
        (int(total / 0.9), types.DiagnosticSeverity.Warning),
        (total // 2, types.DiagnosticSeverity.Error),
    ]
    for budget, severity in expected:
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings={"tokenls": {"budget": budget, "debounceMs": 0}}
            )
        )
        [diag] = await _diagnostics(client, uri)
        assert diag.severity == severity
        assert f"{total:,} / {budget:,} tokens" in diag.message
        assert diag.range.start.line > 0  # starts where the threshold is crossed, not at the top
        assert diag.range.end.line >= text.count("\n")


async def test_frontmatter_budget_wins_and_hover_reports_sections(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = (tmp_path / "fm.md").as_uri()
    text = "---\ntokenls:\n  budget: 50\n---\n" + _doc("Hovered", 5)
    open_document(client, uri, text)
    [diag] = await _diagnostics(client, uri)
    assert diag.severity == types.DiagnosticSeverity.Error and "(frontmatter)" in diag.message
    heading = text.splitlines().index("# Hovered")
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri), position=types.Position(heading, 2)
        )
    )
    section = "".join(text.splitlines(keepends=True)[heading:])
    assert f"{truth(section, 'o200k_base'):,} tok" in hover.contents.value
    assert "of the 50-token budget" in hover.contents.value
    para = heading + 2
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri), position=types.Position(para, 0)
        )
    )
    assert "Paragraph" in hover.contents.value


async def test_bad_settings_are_reported_and_the_server_keeps_serving(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = (tmp_path / "bad.md").as_uri()
    open_document(client, uri, "hello world\n")
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"tokenls": {"budget": "lots", "encoding": "gpt2"}}
        )
    )
    for _ in range(50):
        if len(client.messages) >= 2:
            break
        await asyncio.sleep(0.05)
    text = " ".join(m.message for m in client.messages)
    assert "budget: 'lots'" in text and "and 1 more" in text
    result = await document_tokens(client, uri)
    assert result["tokens"] == truth("hello world\n", "o200k_base")


async def test_failing_requests_get_errors_not_a_dead_server(
    client: LanguageClient, tmp_path: Path
) -> None:
    with pytest.raises(Exception, match="not open"):
        await document_tokens(client, "file:///nowhere/unknown.md")
    with pytest.raises(Exception):  # noqa: B017 - any JSON-RPC error is right here
        await client.protocol.send_request_async("tokenls/documentTokens", {"nope": 1})
    uri = (tmp_path / "junk.md").as_uri()
    open_document(client, uri, "\x00\x01\ufffd" * 1000 + "\udcff ok")
    assert (await document_tokens(client, uri))["tokens"] > 0


async def test_count_text_counts_selections_with_the_documents_tokenizer(
    client: LanguageClient, tmp_path: Path
) -> None:
    uri = (tmp_path / "notes.md").as_uri()
    text = "---\nmodel: gpt-4\n---\n# Notes\n\nnaïve café — 日本語 😀 text.\nSecond line.\n"
    open_document(client, uri, text)
    selections = ["naïve café — 日本語 😀 text.\nSecond", " line.\n"]
    result = await client.protocol.send_request_async(
        "tokenls/countText", {"textDocument": {"uri": uri}, "texts": selections}
    )
    assert result.encoding == "cl100k_base"  # the frontmatter's model names the tokenizer
    assert result.tokens == sum(truth(s, "cl100k_base") for s in selections)
    assert result.exact is True
