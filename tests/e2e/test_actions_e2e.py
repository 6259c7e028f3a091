"""Compress-log code actions through the real server: offered, resolved, applied."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.conftest import truth
from tests.e2e.lsp_helpers import document_tokens, open_document, until
from tests.logs import FIXTURES, MAVEN_FAILURE, failing_build


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)

    def offset(pos: types.Position) -> int:
        return sum(len(x) for x in lines[: pos.line]) + pos.character

    for edit in sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


async def _actions(
    client: LanguageClient, uri: str, line: int, diagnostics=(), column: int = 2
) -> list[types.CodeAction]:  # type: ignore[no-untyped-def]
    pos = types.Position(line, column)
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=types.Range(pos, pos),
            context=types.CodeActionContext(diagnostics=list(diagnostics)),
        )
    )


async def test_a_fenced_log_is_compressed_in_place(client: LanguageClient) -> None:
    root: Path = client.root
    log = failing_build(2000)
    text = "# Why did CI fail?\n\n```log\n" + log + "```\n\nExplain the failure.\n"
    uri = (root / "ask.md").as_uri()
    open_document(client, uri, text)
    [offer] = [a for a in await _actions(client, uri, 10) if a.title.startswith("Compress log")]
    assert offer.edit is None  # computed on resolve, not on every cursor move
    resolved = await client.code_action_resolve_async(offer)
    [change] = resolved.edit.document_changes
    new_text = _apply(text, change.edits)
    assert "BUILD FAILURE" in new_text and MAVEN_FAILURE in new_text
    assert new_text.startswith("# Why did CI fail?\n\n```log\n") and new_text.endswith(
        "```\n\nExplain the failure.\n"
    )
    target = int(offer.title.split("fit ")[1].split(" tokens")[0].replace(",", ""))
    body = new_text.split("```log\n")[1].split("```")[0]
    assert truth(body, "o200k_base") <= target < truth(log, "o200k_base")


async def test_a_referenced_log_is_written_beside_it_and_the_reference_rewritten(
    client: LanguageClient,
) -> None:
    root: Path = client.root
    (root / "logs").mkdir()
    original = failing_build(3000)
    (root / "logs" / "build.log").write_text(original)
    text = "Summarise #file:logs/build.log for the team.\n"
    uri = (root / "t.prompt.md").as_uri()
    open_document(client, uri, text)
    [offer] = [a for a in await _actions(client, uri, 0, column=15) if "referenced log" in a.title]
    assert "build.log" in offer.title
    resolved = await client.code_action_resolve_async(offer)
    create, content, prompt_edit = resolved.edit.document_changes
    assert isinstance(create, types.CreateFile) and create.uri.endswith(
        "/logs/build.compressed.log"
    )
    assert "BUILD FAILURE" in content.edits[0].new_text
    assert (
        _apply(text, prompt_edit.edits)
        == "Summarise #file:logs/build.compressed.log for the team.\n"
    )
    assert (root / "logs" / "build.log").read_text() == original  # never modified


async def test_the_budget_quickfix_compresses_the_largest_log(client: LanguageClient) -> None:
    root: Path = client.root
    small = "INFO ok\n" * 3 + "ERROR small one\nWARN x\n"
    big = failing_build(2500)
    text = f"---\ntokenls: {{budget: 1500}}\n---\n# Ask\n\n```\n{small}```\n\n```text\n{big}```\n"
    uri = (root / "fix.md").as_uri()
    open_document(client, uri, text)
    await until(lambda: bool(client.diagnostics.get(uri)))
    [diag] = [d for d in client.diagnostics[uri] if d.code == "budget"]
    actions = await _actions(client, uri, diag.range.start.line, [diag])
    [fix] = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
    assert fix.is_preferred and fix.title == "Compress the largest log to fit the budget"
    resolved = await client.code_action_resolve_async(fix)
    new_text = _apply(text, resolved.edit.document_changes[0].edits)
    assert small in new_text and "BUILD FAILURE" in new_text
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=new_text)],
        )
    )
    assert (await document_tokens(client, uri))["tokens"] <= 1500


async def test_an_action_is_withdrawn_when_the_text_changes_while_it_is_computed(
    client: LanguageClient,
) -> None:
    root: Path = client.root
    log = failing_build(20000)  # big enough that compressing takes a while
    text = "# Why?\n\n```log\n" + log + "```\n"
    uri = (root / "race.md").as_uri()
    open_document(client, uri, text)
    [offer] = [a for a in await _actions(client, uri, 10) if a.title.startswith("Compress log")]
    pending = client.code_action_resolve_async(offer)  # sent now, answered after the edit
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(0, 0), types.Position(0, 0)), text="x"
                )
            ],
        )
    )
    try:
        resolved = await pending
    except Exception as exc:  # ContentModified: the stale edit is withdrawn
        assert "changed" in str(exc), exc
    else:  # answered before the change arrived: then it is stamped with version 1
        assert resolved.edit.document_changes[0].text_document.version == 1
    [again] = [a for a in await _actions(client, uri, 10) if a.title.startswith("Compress log")]
    assert again.data["version"] == 2
    fresh = await client.code_action_resolve_async(again)
    assert fresh.edit.document_changes[0].text_document.version == 2


async def test_a_fenced_log_is_compressed_against_the_configured_passing_run(
    client: LanguageClient,
) -> None:
    root: Path = client.root
    (root / "ci").mkdir()
    (root / "ci" / "pytest-pass.log").write_text((FIXTURES / "pytest-pass.log").read_text())
    (root / "tokenls.toml").write_text('[compress]\nbaseline = "ci/pytest-pass.log"\n')
    log = (FIXTURES / "pytest-fail.log").read_text()
    text = "# Why?\n\n```log\n" + log + "```\n"
    uri = (root / "ask.md").as_uri()
    open_document(client, uri, text)
    offers = await _actions(client, uri, 10)
    [against] = [a for a in offers if a.title.startswith("Compress log against the passing run")]
    resolved = await client.code_action_resolve_async(against)
    [change] = resolved.edit.document_changes
    body = _apply(text, change.edits).split("```log\n")[1].split("```")[0]
    # The lines only the failing run has, read by hand from the two captured logs.
    for line in [
        "E       KeyError: 'US'",
        "FAILED tests/test_parse.py::test_parse_invoice_outside_eu_is_untaxed - KeyError: 'US'",
    ]:
        assert line in body
    target = int(against.title.split("fit ")[1].split(" tokens")[0].replace(",", ""))
    assert truth(body, "o200k_base") <= target
