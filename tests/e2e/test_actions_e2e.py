"""Compress-log code actions through the real server: offered, resolved, applied."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.conftest import truth
from tests.e2e.lsp_helpers import document_tokens, open_document, until
from tests.logs import FIXTURES, MAVEN_FAILURE, failing_build

EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


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


async def test_the_budget_quickfix_leaves_a_log_that_fits_its_share_as_it_is(
    client: LanguageClient,
) -> None:
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
    assert fix.is_preferred and fix.title == "Compress logs to fit the budget"
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


async def test_one_quickfix_fits_a_prompt_with_a_pasted_and_a_referenced_log(
    client: LanguageClient,
) -> None:
    """Two logs at eight times the prompt's budget: each gets its share, both keep their
    failures, and the prompt ends within its budget, in one workspace edit."""
    root: Path = client.root
    (root / "logs").mkdir()
    referenced = failing_build(500)
    (root / "logs" / "ci.log").write_text(referenced)
    pasted = (FIXTURES / "pytest-fail.log").read_text()
    ask = "# Why is CI red?\n\nThe unit tests (pasted below) and the build (#file:logs/ci.log).\n"
    body = f"{ask}\n```log\n{pasted}```\n\nName each failure and its likely cause.\n"
    total = truth(body, "o200k_base") + truth(referenced, "o200k_base")
    budget = total // 8
    text = f"---\ntokenls: {{budget: {budget}}}\n---\n{body}"
    uri = (root / "triage.prompt.md").as_uri()
    open_document(client, uri, text)
    await until(lambda: bool(client.diagnostics.get(uri)))
    [diag] = [d for d in client.diagnostics[uri] if d.code == "budget"]
    assert (await document_tokens(client, uri))["tokens"] >= 8 * budget
    actions = await _actions(client, uri, diag.range.start.line, [diag])
    [fix] = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
    assert fix.title == "Compress logs to fit the budget" and fix.is_preferred
    resolved = await client.code_action_resolve_async(fix)
    create, content, prompt_edit = resolved.edit.document_changes
    assert isinstance(create, types.CreateFile) and create.uri.endswith("/logs/ci.compressed.log")
    compressed = content.edits[0].new_text
    (root / "logs" / "ci.compressed.log").write_text(compressed)  # as the client creates it
    new_text = _apply(text, prompt_edit.edits)
    assert "#file:logs/ci.compressed.log" in new_text and ask.splitlines()[0] in new_text
    # tiktoken's count of what the prompt now holds: its own text and the file it references
    after = truth(new_text, "o200k_base") + truth(compressed, "o200k_base")
    print(f"two logs: {total:,} tokens, budget {budget:,} -> {after:,} tokens")
    assert after <= budget
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=new_text)],
        )
    )
    assert (await document_tokens(client, uri))["tokens"] == after
    kept_pasted = {
        line.strip() for line in new_text.split("```log\n")[1].split("```")[0].splitlines()
    }
    must = [_ANSI.sub("", line).strip() for line in EXPECTED["pytest-fail.log"]["must_keep"]]
    assert [line for line in must if line not in kept_pasted] == []
    assert MAVEN_FAILURE in compressed and "[INFO] BUILD FAILURE" in compressed
    assert (root / "logs" / "ci.log").read_text() == referenced  # never modified


async def test_a_fence_the_user_calls_a_log_is_offered_and_a_program_is_not(
    client: LanguageClient,
) -> None:
    root: Path = client.root
    log = (FIXTURES / "cmake-fail.log").read_text()  # source excerpts and notes: no sniffer's log
    program = "".join(f"print({n})\n" for n in range(30))
    blocks = [("log", log), ("console", log), ("", log), ("python", program), ("", program)]
    text = "# Build\n\n" + "".join(f"```{lang}\n{body}```\n\n" for lang, body in blocks)
    uri = (root / "fences.md").as_uri()
    open_document(client, uri, text)
    lines = text.splitlines()
    opens = [i for i, line in enumerate(lines) if line.startswith("```")][::2]
    offered = []
    for at in opens:
        actions = await _actions(client, uri, at + 2)
        offered.append(any(a.title.startswith("Compress log to fit") for a in actions))
    assert offered == [True, True, False, False, False]


async def test_a_selection_of_five_lines_is_offered_anywhere(client: LanguageClient) -> None:
    root: Path = client.root
    text = "Notes\n" + "".join(f"step {n} done\n" for n in range(8))
    uri = (root / "notes.txt").as_uri()
    open_document(client, uri, text)

    async def titles(first: int, last: int) -> list[str]:
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=types.Range(types.Position(first, 0), types.Position(last, 0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
        return [a.title for a in await client.text_document_code_action_async(params)]

    assert any(t.startswith("Compress log to fit") for t in await titles(1, 6))  # 5 lines
    assert not any(t.startswith("Compress log") for t in await titles(1, 5))  # 4 lines


async def test_when_the_prompts_own_text_is_over_the_quickfix_says_by_how_much(
    client: LanguageClient,
) -> None:
    root: Path = client.root
    prose = "".join(
        f"Rule {n}: review every change for behaviour, then for style.\n" for n in range(80)
    )
    log = (FIXTURES / "go-fail.log").read_text()
    text = f"---\ntokenls: {{budget: 400}}\n---\n# Rules\n\n{prose}\n```log\n{log}```\n"
    uri = (root / "rules.prompt.md").as_uri()
    open_document(client, uri, text)
    await until(lambda: bool(client.diagnostics.get(uri)))
    [diag] = [d for d in client.diagnostics[uri] if d.code == "budget"]
    [fix] = [
        a
        for a in await _actions(client, uri, diag.range.start.line, [diag])
        if a.kind == types.CodeActionKind.QuickFix
    ]
    rest = truth(text, "o200k_base") - truth(log, "o200k_base")
    assert fix.title == (
        f"Compress logs (still {rest + 64 - 400:,} tokens over: the rest of the prompt is "
        f"{rest:,} of its 400)"
    )
