"""``tokenls check``: prompts against their budgets, for people, scripts and code scanning.

Formats: ``text`` (``path:line:col: severity: message``, as compilers print), ``json``,
``github`` (workflow annotations) and ``sarif`` (SARIF 2.1.0 for GitHub code scanning). A
prompt over budget also lists its biggest contributors, so the finding says what to cut.
Each format escapes names by its own rule (``tokenls.output.escaping``). A FIFO or device a walk
finds is skipped and said so; one named on the command line is an error.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tokenls.cli.diff import growth_rows
from tokenls.config import workspace_root
from tokenls.files.reading import SNIFF_BYTES, STDIN, is_binary, walk
from tokenls.files.regular import NotRegularFile
from tokenls.output.escaping import (
    json_name,
    portable_name,
    quote_name,
    visible,
    workflow_data,
    workflow_property,
)
from tokenls.output.file import write_output
from tokenls.output.terminal import EXIT_FINDINGS, EXIT_OK, Terminal, UsageError
from tokenls.tree.prompts import PromptChecker, PromptReport
from tokenls.tree.report import FindingRow, finding_rows
from tokenls.tree.stdin import named_special

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
    root = args.root or workspace_root(anchor)
    checker = PromptChecker(root, args.encoding, args.model, budget=args.budget)
    unknown = checker.unknown_model(anchor if not anchor.is_dir() else anchor / STDIN)
    if unknown:
        raise UsageError(unknown, "--model")
    explicit = {Path(p).resolve() for p in paths if p != STDIN and not Path(p).is_dir()}
    rows: list[FindingRow] = []
    skipped: list[tuple[str, str]] = []  # (path, why): FIFOs and devices a walk found
    over = checked = unbudgeted = 0
    counted: list[tuple[str, Path, int]] = []  # (shown, path, total): for --against
    for found in walk(paths, ignore=not args.no_ignore):
        if found.stdin:
            shown, report = _check_stdin(checker, args.stdin_filename)
        else:
            path = found.path
            named = found.named or path.resolve() in explicit
            if found.error or not (named or checker.is_prompt(path)):
                continue
            shown = path.as_posix()
            try:
                report = _check_file(checker, path, named)
            except NotRegularFile as exc:  # a FIFO or device a walk found: said, never read
                skipped.append((shown, exc.strerror))
                continue
        checked += 1
        over += report.over_budget
        unbudgeted += report.budget is None
        rows.extend(finding_rows(shown, report))
        if not found.stdin:
            counted.append((shown, found.path, report.tokens))
    grown = growth_rows(args, checker, counted)  # --against REV --max-increase LIMIT
    rows.extend(grown)
    _emit(Outcome(rows, checked, over, skipped, unbudgeted, len(grown)), args, terminal)
    return EXIT_FINDINGS if over or grown else EXIT_OK


def _check_file(checker: PromptChecker, path: Path, named: bool) -> PromptReport:
    """The prompt's report; ``NotRegularFile`` for a FIFO or device a walk found."""
    try:
        if named and is_binary(path):
            raise UsageError("binary file, not a prompt", path.as_posix())
        return checker.report(path)
    except NotRegularFile as exc:
        if not named:
            raise
        raise UsageError(named_special(exc.strerror), path.as_posix()) from None
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


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one ``check`` run found, for every format."""

    rows: list[FindingRow]
    checked: int
    over: int
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    unbudgeted: int = 0  # prompts no budget applies to: nothing was checked for them
    grown: int = 0  # prompts that grew past --max-increase

    def verdict(self) -> str:
        """The run in a few words: a gate with no budget is said to be one, never a pass."""
        if self.grown:
            grew = f"{self.grown} grew more than --max-increase allows"
            return f"{self.over} over budget; {grew}" if self.over else grew
        if self.over:
            return f"{self.over} over budget"
        if self.checked and self.unbudgeted == self.checked:
            return f"no budget configured ({NO_BUDGET_HINT})"
        if self.unbudgeted:
            return f"all within budget; {self.unbudgeted} without a budget ({NO_BUDGET_HINT})"
        return "all within budget"

    def budget_note(self) -> str | None:
        """Which prompts had no budget to check against, or None."""
        if not self.unbudgeted:
            return None
        if self.unbudgeted == self.checked:
            return (
                f"no budget configured for the {self.checked} prompt(s) checked ({NO_BUDGET_HINT})"
            )
        return f"{self.unbudgeted} of {self.checked} prompts have no budget ({NO_BUDGET_HINT})"


NO_BUDGET_HINT = (
    "set budget in tokenls.toml, tokenls: {budget: N} or model: in the frontmatter, "
    "or --budget/--model"
)


class _Collected(Terminal):
    """Output gathered for a file instead of printed (no colour, nothing dropped)."""

    def __init__(self) -> None:
        super().__init__(color=False)
        self.text: list[str] = []

    def _out(self, text: str, *, flush: bool) -> None:
        self.text.append(text)


def _emit(outcome: Outcome, args: argparse.Namespace, terminal: Terminal) -> None:
    to_file = args.output not in (None, STDIN)
    out = _Collected() if to_file else terminal
    rows = outcome.rows
    if args.format == "json":
        document: dict[str, object] = {
            "checked": outcome.checked,
            "over_budget": outcome.over,
            "without_budget": outcome.unbudgeted,
            "findings": [r.as_json() for r in rows],
        }
        if outcome.skipped:
            document["skipped"] = [{**json_name(p), "reason": why} for p, why in outcome.skipped]
        out.json(document)
    elif args.format == "sarif":
        from tokenls.cli.sarif import sarif_json

        note = outcome.budget_note()
        out.write(sarif_json(rows, skipped=outcome.skipped, notes=[note] if note else []))
    elif args.format == "github":
        out.write("".join(_annotation(row) + "\n" for row in rows))
    else:
        for row in rows:
            _print_text(row, out)
    if to_file:
        assert isinstance(out, _Collected)
        write_output(args.output, "".join(out.text))
    for path, why in outcome.skipped:
        terminal.note(f"skipped {quote_name(path)}: {why}")
    if args.format == "text":
        checked = outcome.checked
        plural = "s" if checked != 1 else ""
        terminal.note(f"checked {checked} prompt{plural}: {outcome.verdict()}")


def _print_text(row: FindingRow, out: Terminal) -> None:
    out.line(
        (f"{quote_name(row.path)}:{row.line}:{row.column}:", "bold"),
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
    """One workflow command: the file exact (the runner unescapes it), the message's text
    with control characters made visible, as the log would otherwise show them."""
    message = visible(row.message)
    if row.contributors:
        message += "\nbiggest contributors:" + "".join(
            f"\n  {c.tokens:,}  {visible(c.label)} (line {c.line + 1})" for c in row.contributors
        )
    level = _GITHUB_LEVELS[row.severity]
    properties = {
        "file": portable_name(row.path),
        "line": row.line,
        "col": row.column,
        "endLine": row.end_line,
        "title": f"tokenls {row.code}",
    }
    listed = ",".join(f"{key}={workflow_property(str(value))}" for key, value in properties.items())
    return f"::{level} {listed}::{workflow_data(message)}"
