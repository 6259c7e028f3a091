"""SARIF 2.1.0 for ``tokenls check --format sarif``: what GitHub code scanning reads.

Each finding code is a rule with help text. Fingerprints hash what identifies a finding
across edits — the rule, the file, and for other rules than the budget the message (which
names the reference, never a count) — and never the line or the token figures, so one
over-budget prompt stays one alert while it is edited. Columns are Unicode code points.
Any file name can be written: a URI carries the name's bytes percent-encoded, message text
its quoted form (``tokenls.output.escaping``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tokenls import __version__
from tokenls.output.escaping import json_text, quote_name, uri_path
from tokenls.output.terminal import SCHEMA_VERSION, UsageError
from tokenls.tree.report import FindingRow

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}

# code → (name, short description, help)
RULES: dict[str, tuple[str, str, str]] = {
    "budget": (
        "TokenBudget",
        "A prompt is near or over its token budget",
        "The prompt's tokens (its own text plus every file, URL and variable it references) "
        "reached a threshold of its budget: information at 60%, warning at 80%, error past "
        "100%. The region starts where the running count crosses the threshold. Cut or move "
        "the biggest contributors listed in the message, or raise `budget` in tokenls.toml "
        "or the prompt's frontmatter.",
    ),
    "reference": (
        "UnresolvedReference",
        "A reference could not be counted",
        "A referenced file or URL was refused or could not be read (outside the workspace, "
        "binary, too large, not allowlisted, an import cycle), so it counts 0 tokens and the "
        "total is too low. The message says why.",
    ),
    "unbound-variable": (
        "UnboundVariable",
        "A template variable has no value",
        "A `{{ name }}` or `${input:name}` variable has no value in the frontmatter, the "
        "variables file or the config, so it counts 0 tokens. Bind it under `variables`.",
    ),
    "frontmatter": (
        "InvalidFrontmatter",
        "The frontmatter or a budget setting is invalid",
        "The prompt's YAML frontmatter could not be read, or a budget or model in it is "
        "invalid; defaults were used instead.",
    ),
    "increase": (
        "TokenIncrease",
        "A prompt grew more than allowed since the base revision",
        "The prompt's total (its own text plus everything it references) grew by more than "
        "`--max-increase` allows since the revision given to `--against`, counted in that "
        "revision's own tree. The message names what grew the most. Cut it, or raise the "
        "limit when the growth is wanted.",
    ),
}


def sarif_log(
    rows: Sequence[FindingRow],
    errors: Sequence[UsageError] = (),
    skipped: Sequence[tuple[str, str]] = (),
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """A complete SARIF log for one ``check`` run; ``errors`` mark the run as failed (one
    notification each), ``skipped`` files (path, why) and ``notes`` (no budget configured)
    are warnings on a run that succeeded."""
    results = _results(rows)
    invocation = _invocation(errors, skipped, notes)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "tokenls",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule(code) for code in RULES],
                    }
                },
                "invocations": [invocation],
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
        "properties": {"schema_version": SCHEMA_VERSION},
    }


def _results(rows: Sequence[FindingRow]) -> list[dict[str, Any]]:
    """One result per finding; the n-th finding of the same identity gets its own
    fingerprint, so two alike stay two alerts."""
    seen: dict[str, int] = {}
    results = []
    for row in rows:
        identity = _identity(row)
        seen[identity] = seen.get(identity, 0) + 1
        key = f"{identity}\0{seen[identity]}".encode("utf-8", "surrogatepass")
        results.append(_result(row, hashlib.sha256(key).hexdigest()))
    return results


def _result(row: FindingRow, fingerprint: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": row.code,
        "ruleIndex": list(RULES).index(row.code) if row.code in RULES else -1,
        "level": _LEVELS[row.severity],
        "message": {"text": _message(row)},
        "locations": [_location(row.path, row)],
        "fingerprints": {"tokenls/v1": fingerprint},
        "partialFingerprints": {"tokenls/v1": fingerprint},
    }
    if row.code not in RULES:
        del result["ruleIndex"]
    if row.exact is not None:  # a budget finding: whether its figures are estimates
        result["properties"] = {"exact": row.exact}
        if row.reason:
            result["properties"]["reason"] = row.reason
    if row.contributors:
        result["relatedLocations"] = [
            {
                "id": index,
                "message": {"text": f"{c.label}: {c.tokens:,} tokens"},
                "physicalLocation": _physical(row.path, c.line + 1, 1, None, None),
            }
            for index, c in enumerate(row.contributors)
        ]
    return result


def _invocation(
    errors: Sequence[UsageError], skipped: Sequence[tuple[str, str]], notes: Sequence[str]
) -> dict[str, Any]:
    """Whether the run succeeded, with a notification per error, skipped file and note."""
    invocation: dict[str, Any] = {"executionSuccessful": not errors}
    notifications = [{"level": "error", "message": {"text": e.line()}} for e in errors]
    notifications += [_skipped(path, why) for path, why in skipped]
    notifications += [{"level": "warning", "message": {"text": note}} for note in notes]
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


def sarif_json(
    rows: Sequence[FindingRow],
    errors: Sequence[UsageError] = (),
    skipped: Sequence[tuple[str, str]] = (),
    notes: Sequence[str] = (),
) -> str:
    """The SARIF log as the text written to a file or standard output."""
    return json_text(sarif_log(rows, errors, skipped, notes), indent=2) + "\n"


def _skipped(path: str, why: str) -> dict[str, Any]:
    return {
        "level": "warning",
        "message": {"text": f"skipped {quote_name(path)}: {why}"},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(path)}}],
    }


def _rule(code: str) -> dict[str, Any]:
    name, short, text = RULES[code]
    level = {"budget": "error", "increase": "error", "unbound-variable": "note"}.get(
        code, "warning"
    )
    return {
        "id": code,
        "name": name,
        "shortDescription": {"text": short},
        "fullDescription": {"text": text},
        "help": {"text": text, "markdown": f"**{short}.** {text}"},
        "defaultConfiguration": {"level": level},
    }


def _identity(row: FindingRow) -> str:
    what = "" if row.code in ("budget", "increase") else row.message  # never the counts
    return f"{row.code}\0{_uri(row.path)[0]}\0{what}"


def _message(row: FindingRow) -> str:
    if not row.contributors:
        return row.message
    biggest = ", ".join(f"{c.label} ({c.tokens:,})" for c in row.contributors)
    return f"{row.message}. Biggest contributors: {biggest}"


def _location(path: str, row: FindingRow) -> dict[str, Any]:
    return {
        "physicalLocation": _physical(
            path, row.line, row.column, row.end_line, max(row.end_column, 1)
        )
    }


def _artifact(path: str) -> dict[str, Any]:
    uri, relative = _uri(path)
    location: dict[str, Any] = {"uri": uri}
    if relative:
        location["uriBaseId"] = "%SRCROOT%"
    return location


def _physical(
    path: str, line: int, column: int, end_line: int | None, end_column: int | None
) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": line, "startColumn": column}
    if end_line is not None and end_column is not None:
        if (end_line, end_column) < (line, column):
            end_line, end_column = line, column
        region.update(endLine=end_line, endColumn=end_column)
    return {"artifactLocation": _artifact(path), "region": region}


def _uri(path: str) -> tuple[str, bool]:
    """A path relative to the working directory (the repository in CI), else a file URI;
    either way the name's bytes percent-encoded, whatever they are."""
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(Path.cwd().resolve())
    except ValueError:
        return absolute.as_uri(), False
    return uri_path(relative.as_posix()), True
