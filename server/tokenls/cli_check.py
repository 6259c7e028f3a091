"""``tokenls check``: prompts against their budgets, for people, scripts and code scanning.

Formats: ``text`` (``path:line:col: severity: message``, as compilers print), ``json``,
``github`` (workflow annotations) and ``sarif`` (SARIF 2.1.0 for GitHub code scanning). A
prompt over budget also lists its biggest contributors, so the finding says what to cut.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tokenls.config import workspace_root
from tokenls.files import SNIFF_BYTES, STDIN, is_binary, walk
from tokenls.output_file import write_output
from tokenls.prompts import PromptChecker, PromptReport
from tokenls.report import FindingRow
from tokenls.terminal import EXIT_FINDINGS, EXIT_OK, Terminal, UsageError

_SEVERITY_NAMES = {"ERROR": "error", "WARNING": "warning", "INFORMATION": "info"}
_GITHUB_LEVELS = {"error": "error", "warning": "warning", "info": "notice"}
_SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "info": "blue"}


def run_check(args: argparse.Namespace, terminal: Terminal) -> int:
    paths: list[str] = args.paths
    missing = [
        UsageError("no such file or directory", p)
        for p in paths
        if p != STDIN and not Path(p).exists()
    ]
    if missing:
        raise UsageError(missing[0].message, missing[0].path, also=missing[1:])
    anchor = Path.cwd() if paths[0] == STDIN else Path(paths[0])
    checker = PromptChecker(args.root or workspace_root(anchor), args.encoding, args.model)
    explicit = {Path(p).resolve() for p in paths if p != STDIN and Path(p).is_file()}
    rows: list[FindingRow] = []
    over = checked = 0
    for found in walk(paths, ignore=not args.no_ignore):
        if found.stdin:
            shown, report = _check_stdin(checker, args.stdin_filename)
        else:
            path = found.path
            named = path.resolve() in explicit
            if found.error or not (named or checker.is_prompt(path)):
                continue
            shown, report = path.as_posix(), _check_file(checker, path, named)
        checked += 1
        over += report.over_budget
        rows.extend(finding_rows(shown, report))
    _emit(rows, args, checked, over, terminal)
    return EXIT_FINDINGS if over else EXIT_OK


def _check_file(checker: PromptChecker, path: Path, named: bool) -> PromptReport:
    try:
        if named and is_binary(path):
            raise UsageError("binary file, not a prompt", path.as_posix())
        return checker.report(path)
    except OSError as exc:
        raise UsageError(exc.strerror or str(exc), path.as_posix()) from None


def _check_stdin(checker: PromptChecker, name: str | None) -> tuple[str, PromptReport]:
    data = sys.stdin.buffer.read()
    if b"\0" in data[:SNIFF_BYTES]:
        raise UsageError("binary input, not a prompt", STDIN)
    # References and config resolve from where the text would live: the named file, else
    # a file in the working directory.
    path = Path(name) if name else Path.cwd() / STDIN
    return name or STDIN, checker.report(path, data)


def finding_rows(shown: str, report: PromptReport) -> list[FindingRow]:
    rows = []
    for finding in report.findings:
        severity = _SEVERITY_NAMES[finding.severity.name]
        over = finding.code == "budget" and severity == "error"
        rows.append(
            FindingRow(
                shown,
                finding.start[0] + 1,
                finding.start[1] + 1,
                finding.end[0] + 1,
                finding.end[1] + 1,
                severity,
                finding.code,
                finding.message,
                report.contributors if over else [],
            )
        )
    return rows


class _Collected(Terminal):
    """Output gathered for a file instead of printed (no colour, nothing dropped)."""

    def __init__(self) -> None:
        super().__init__(color=False)
        self.text: list[str] = []

    def write(self, text: str) -> None:
        self.text.append(text)


def _emit(
    rows: list[FindingRow], args: argparse.Namespace, checked: int, over: int, terminal: Terminal
) -> None:
    to_file = args.output not in (None, STDIN)
    out = _Collected() if to_file else terminal
    if args.format == "json":
        out.json({"checked": checked, "over_budget": over, "findings": [r.as_json() for r in rows]})
    elif args.format == "sarif":
        from tokenls.sarif import sarif_json

        out.write(sarif_json(rows))
    elif args.format == "github":
        for row in rows:
            out.line(_annotation(row))
    else:
        for row in rows:
            _print_text(row, out)
    if to_file:
        assert isinstance(out, _Collected)
        write_output(args.output, "".join(out.text))
    if args.format == "text":
        verdict = f"{over} over budget" if over else "all within budget"
        terminal.note(f"checked {checked} prompt{'s' if checked != 1 else ''}: {verdict}")


def _print_text(row: FindingRow, out: Terminal) -> None:
    out.line(
        (f"{row.path}:{row.line}:{row.column}:", "bold"),
        " ",
        (f"{row.severity}:", _SEVERITY_STYLES[row.severity]),
        f" {row.message}",
    )
    if row.contributors:
        out.line(("  biggest contributors:", "dim"))
        width = max(len(f"{c.tokens:,}") for c in row.contributors)
        for c in row.contributors:
            where = f"  (line {c.line + 1}{', reference' if c.kind == 'reference' else ''})"
            out.line(f"    {c.tokens:>{width},}  ", c.label, (where, "dim"))


def _annotation(row: FindingRow) -> str:
    message = row.message
    if row.contributors:
        message += "\nbiggest contributors:" + "".join(
            f"\n  {c.tokens:,}  {c.label} (line {c.line + 1})" for c in row.contributors
        )
    escaped = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    level = _GITHUB_LEVELS[row.severity]
    return (
        f"::{level} file={row.path},line={row.line},col={row.column},"
        f"endLine={row.end_line},title=tokenls {row.code}::{escaped}"
    )
