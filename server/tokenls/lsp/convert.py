"""Core results → lsprotocol types, in one place, so neither side leaks into the other."""

from __future__ import annotations

from lsprotocol import types

from tokenls.budget import Severity
from tokenls.session import Change, Finding, Hint

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


def markdown(text: str) -> types.MarkupContent:
    return types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)
