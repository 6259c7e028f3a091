"""``count --json`` and the MCP ``count_tokens`` tool: one document shape for both.

It lives below the front ends so the agent tools never import the command line.
"""

from __future__ import annotations

from tokenls.analysis.contributors import display_target
from tokenls.output.escaping import json_name, portable_name
from tokenls.tree.filecount import FileCount


def biggest(counted: list[FileCount], top: int | None) -> list[FileCount]:
    if top is None:
        return counted
    return sorted(counted, key=lambda r: -r.count.tokens if r.count else 0)[:top]


def json_report(
    encoding: str, total: int, exact: bool, results: list[FileCount], top: int | None
) -> dict[str, object]:
    counted = [r for r in results if r.count is not None]
    files = []
    for r in biggest(counted, top):
        assert r.count is not None
        entry: dict[str, object] = {
            **json_name(r.path.as_posix()),
            "tokens": r.count.tokens,
            "exact": r.count.exact,
            "bytes": r.size,
        }
        if not r.count.exact:
            entry["upper_bound"] = r.count.bound
        if r.reason:
            entry["reason"] = r.reason
        if r.encoding:
            entry["encoding"] = r.encoding
        if r.model:
            entry["model"] = r.model
        if r.decode_errors:
            entry["decode_errors"] = True
        if r.own is not None:
            entry["own_tokens"] = r.own.tokens
            entry["references"] = r.references or []
        if r.oversized:
            entry["oversized"] = True
        files.append(entry)
    encodings = sorted({r.encoding for r in counted if r.encoding})
    report: dict[str, object] = {
        "encoding": encodings[0] if len(encodings) == 1 else encoding,
        "total": total,
        "exact": exact,
        "files_counted": len(counted),
        "files": files,
    }
    if len(encodings) > 1:
        report["encodings"] = encodings
    models = {r.model for r in counted}
    if len(models) == 1 and None not in models:
        report["model"] = models.pop()
    if top is not None:
        report["top_references"] = [
            {"target": target, "tokens": tokens, "from": [portable_name(s) for s in sources]}
            for target, tokens, sources in top_references(counted, top)
        ]
    errors = [r for r in results if r.error is not None]
    if errors:
        report["errors"] = [{**json_name(r.path.as_posix()), "error": r.error} for r in errors]
    binary = [r for r in results if r.binary]
    if binary:
        report["skipped_binary"] = [portable_name(r.path.as_posix()) for r in binary]
    skipped = [r for r in results if r.skipped]
    if skipped:
        report["skipped"] = [{**json_name(r.path.as_posix()), "reason": r.skipped} for r in skipped]
    return report


def top_references(counted: list[FileCount], top: int) -> list[tuple[str, int, list[str]]]:
    """The biggest referenced files and URLs, each once, with the prompts that use them."""
    found: dict[str, tuple[int, list[str]]] = {}
    for r in counted:
        for ref in r.references or ():
            if ref.get("status") != "ok" or ref.get("duplicate") or not ref.get("tokens"):
                continue
            target = display_target(str(ref["target"]))
            _tokens_of, sources = found.setdefault(target, (int(ref["tokens"]), []))
            sources.append(r.path.as_posix())
    ranked = sorted(found.items(), key=lambda item: (-item[1][0], item[0]))[:top]
    return [(target, tokens, sources) for target, (tokens, sources) in ranked]
