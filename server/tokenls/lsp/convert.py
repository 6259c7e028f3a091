"""Core results → lsprotocol types, in one place, so neither side leaks into the other."""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types

from tokenls.config import Problem
from tokenls.lsp.log_actions import Offer
from tokenls.lsp.log_plans import ActionPlan
from tokenls.lsp.session import Change, Finding, Hint
from tokenls.workspace.budget import Severity

_SEVERITY = {
    Severity.INFORMATION: types.DiagnosticSeverity.Information,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.ERROR: types.DiagnosticSeverity.Error,
}


def change(event: types.TextDocumentContentChangeEvent) -> Change:
    if isinstance(event, types.TextDocumentContentChangePartial):
        r = event.range
        return Change(event.text, (r.start.line, r.start.character), (r.end.line, r.end.character))
    return Change(event.text)


def inlay_hint(hint: Hint) -> types.InlayHint:
    return types.InlayHint(
        position=types.Position(hint.line, hint.column),
        label=hint.label,
        kind=types.InlayHintKind.Type,
        padding_left=True,
        data=hint.data,
    )


def diagnostic(finding: Finding) -> types.Diagnostic:
    return types.Diagnostic(
        range=types.Range(types.Position(*finding.start), types.Position(*finding.end)),
        message=finding.message,
        severity=_SEVERITY[finding.severity],
        source="tokenls",
        code=finding.code,
    )


def config_diagnostic(problem: Problem) -> types.Diagnostic:
    """A settings problem, shown on its config file at the key's line."""
    line = problem.line or 0
    severity = (
        types.DiagnosticSeverity.Error
        if problem.severity == "error"
        else types.DiagnosticSeverity.Warning
    )
    return types.Diagnostic(
        range=types.Range(types.Position(line, 0), types.Position(line + 1, 0)),
        message=f"{problem.key}: {problem.reason}",
        severity=severity,
        source="tokenls",
        code="config",
    )


def markdown(text: str) -> types.MarkupContent:
    return types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)


def code_action_offer(offer: Offer) -> types.CodeAction:
    kind = (
        types.CodeActionKind.QuickFix
        if offer.kind == "quickfix"
        else types.CodeActionKind.RefactorRewrite
    )
    return types.CodeAction(
        title=offer.title, kind=kind, data=offer.data, is_preferred=offer.preferred or None
    )


def workspace_edit(
    plan: ActionPlan,
    uri: str,
    version: int,
    position: Callable[[str, int, int], tuple[int, int]],
) -> types.WorkspaceEdit:
    """Created files first, then the prompt's own edits, as ``documentChanges``."""
    changes: list[types.TextDocumentEdit | types.CreateFile] = []
    for path, content in plan.create:
        new_uri = path.as_uri()
        changes.append(
            types.CreateFile(uri=new_uri, options=types.CreateFileOptions(overwrite=True))
        )
        changes.append(
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=new_uri, version=None
                ),
                edits=[
                    types.TextEdit(
                        range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                        new_text=content,
                    )
                ],
            )
        )
    edits = []
    for change in plan.changes:
        start = types.Position(*position(uri, *change.start))
        end = types.Position(*position(uri, *change.end))
        edits.append(types.TextEdit(range=types.Range(start, end), new_text=change.text))
    if edits:
        changes.append(
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(
                    uri=uri, version=version
                ),
                edits=edits,
            )
        )
    return types.WorkspaceEdit(document_changes=changes)
