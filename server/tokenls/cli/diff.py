"""``tokenls diff`` and ``check --against``: token cost between revisions, for review.

The arguments follow git's: revisions first (none: ``HEAD`` against the work tree; one:
that revision against the work tree; two, ``A..B`` or ``A...B``: between commits), then
paths. Output is text (coloured on a terminal), JSON, or a Markdown table for a pull
request comment or ``$GITHUB_STEP_SUMMARY``. The work is in ``tokenls.history``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenls.output.escaping import json_name, quote_name
from tokenls.output.terminal import EXIT_OK, Terminal, UsageError

if TYPE_CHECKING:
    from tokenls.history.compare import Change, Comparison, PromptDelta
    from tokenls.history.costs import PromptCost
    from tokenls.history.git import Repository
    from tokenls.tree.prompts import PromptChecker
    from tokenls.tree.report import FindingRow


def add_parser(
    sub: Any, common: argparse.ArgumentParser, encoding: Callable[[str], str], helps: dict[str, str]
) -> None:
    diff = sub.add_parser(
        "diff",
        parents=[common],
        help="token cost of prompts between two revisions (git's conventions)",
        description="Each prompt's total at two revisions, with references resolved in each "
        "revision's own tree, its delta and what changed it.",
    )
    diff.add_argument(
        "arguments",
        nargs="*",
        metavar="[BASE [HEAD]] [PATH]",
        help="revisions (none: HEAD vs the work tree; one: it vs the work tree; two, A..B "
        "or A...B: between them), then paths to limit the prompts to",
    )
    diff.add_argument(
        "--format", choices=("text", "json", "markdown"), default="text", help="output format"
    )
    diff.add_argument("--json", action="store_true", help="the same as --format json")
    diff.add_argument(
        "--all", action="store_true", help="also list prompts whose inputs did not change"
    )
    diff.add_argument("--encoding", type=encoding, default=None, help=helps["encoding"])
    diff.add_argument("--model", default=None, help=helps["model"])
    diff.set_defaults(run=run_diff)


def run_diff(args: argparse.Namespace, terminal: Terminal) -> int:
    from tokenls.history.compare import compare
    from tokenls.history.git import Repository
    from tokenls.history.git_hardening import GitError

    try:
        repo = Repository.find(Path.cwd())
        revisions, paths = split_arguments(repo, args.arguments)
        comparison = compare(
            repo,
            revisions,
            [tree_path(repo, p) for p in paths],
            encoding=args.encoding,
            model=args.model,
            everything=args.all,
        )
    except GitError as exc:
        raise UsageError(str(exc)) from None
    form = "json" if args.json else args.format
    if form == "json":
        terminal.json(comparison_json(comparison))
    elif form == "markdown":
        terminal.write(markdown(comparison))
    else:
        _print_text(comparison, terminal)
    return EXIT_OK


def split_arguments(repo: Repository, arguments: Sequence[str]) -> tuple[list[str], list[str]]:
    """Revisions first, then paths, as git reads them: an argument that names both a
    commit and an existing file is ambiguous and refused."""
    from tokenls.history.git_hardening import GitError

    revisions: list[str] = []
    for index, text in enumerate(arguments):
        if len(revisions) == 2 or (revisions and ".." in revisions[0]):
            return revisions, list(arguments[index:])
        if text.startswith("-"):
            raise UsageError(f"not a revision or path: {text!r} (name a file as ./{text})")
        try:
            for part in _range_parts(text):
                repo.commit(part)
        except GitError:
            return revisions, list(arguments[index:])
        if os.path.lexists(text):
            raise UsageError(
                f"ambiguous argument {text!r}: both a revision and a file "
                f"(write {text}^0 for the revision, ./{text} for the file)"
            )
        revisions.append(text)
    return revisions, []


def _range_parts(text: str) -> list[str]:
    for separator in ("...", ".."):
        if separator in text:
            left, _, right = text.partition(separator)
            return [left or "HEAD", right or "HEAD"]
    return [text]


def tree_path(repo: Repository, given: str) -> str:
    """A command-line path as a path in the repository's tree ("" for its top)."""
    relative = os.path.relpath(os.path.realpath(given), os.path.realpath(repo.top))
    if relative == ".." or relative.startswith("../"):
        raise UsageError("outside the repository", given)
    return "" if relative == "." else Path(relative).as_posix()


# -- check --against --------------------------------------------------------------------


def growth_rows(
    args: argparse.Namespace, checker: PromptChecker, counted: Sequence[tuple[str, Path, int]]
) -> list[FindingRow]:
    """``check --against REV --max-increase LIMIT``: a finding for each prompt (shown
    name, path, total) that grew more than allowed since REV."""
    against = getattr(args, "against", None)
    given = getattr(args, "max_increase", None)
    if against is None and given is None:
        return []
    if against is None or given is None:
        raise UsageError("--against and --max-increase go together")
    from tokenls.history.gate import Limit, growth_findings
    from tokenls.history.git_hardening import GitError

    try:
        limit = Limit.parse(given)
        return growth_findings(checker, against, limit, counted)
    except ValueError as exc:
        raise UsageError(f"--max-increase {exc}") from None
    except GitError as exc:
        raise UsageError(f"--against: {exc}") from None


# -- output -----------------------------------------------------------------------------


def cost_json(cost: PromptCost | None) -> dict[str, Any] | None:
    if cost is None:
        return None
    return {
        "tokens": cost.tokens,
        "own_tokens": cost.own,
        "exact": cost.exact,
        "encoding": cost.encoding,
        "budget": cost.budget,
        "references": [
            {
                **json_name(r.label, "target"),
                "kind": r.kind,
                "tokens": r.tokens,
                **({"imports": list(r.imports)} if r.imports else {}),
            }
            for r in cost.references
        ],
    }


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    sides = comparison.revisions
    before, after = comparison.before, comparison.after
    return {
        "base": {"revision": sides.base_label, "commit": sides.base},
        "head": {"revision": sides.head_label, "commit": sides.head},
        "encodings": comparison.encodings,
        "prompts": [_prompt_json(p) for p in comparison.prompts],
        "unchanged": comparison.unchanged,
        "total": {
            "before": before,
            "after": after,
            "delta": after - before,
            "percent": _ratio(after - before, before),
        },
    }


def _prompt_json(prompt: PromptDelta) -> dict[str, Any]:
    entry: dict[str, Any] = {**json_name(prompt.path)}
    if prompt.old_path is not None:
        entry.update(json_name(prompt.old_path, "old_path"))
    entry.update(
        status=prompt.status,
        before=cost_json(prompt.before),
        after=cost_json(prompt.after),
        delta=prompt.delta,
        percent=None if prompt.percent is None else round(prompt.percent, 2),
        changes=[
            {
                **json_name(c.label, "target"),
                "kind": c.kind,
                "change": c.change,
                "before": c.before,
                "after": c.after,
                "delta": c.delta,
            }
            for c in prompt.changes
        ],
    )
    return entry


def _ratio(delta: int, before: int) -> float | None:
    return round(delta / before * 100, 2) if before else None


def _percent(prompt: PromptDelta) -> str:
    if prompt.percent is None:
        return "new" if prompt.before is None else "—"
    return f"{prompt.percent:+.1f}%"


def _change_text(change: Change, name: Callable[[str], str]) -> str:
    if change.kind == "own":
        return f"own text {change.delta:+,}"
    return f"{name(change.label)} {change.change} {change.delta:+,}"


def _print_text(comparison: Comparison, terminal: Terminal) -> None:
    sides = comparison.revisions
    encodings = ", ".join(comparison.encodings)
    terminal.note(f"token cost {sides.title}" + (f" ({encodings})" if encodings else ""))
    for prompt in comparison.prompts:
        style = "red" if prompt.delta > 0 else "green" if prompt.delta < 0 else "dim"
        renamed = f" (renamed from {quote_name(prompt.old_path)})" if prompt.old_path else ""
        status = "" if prompt.status in ("modified", "renamed") else f" [{prompt.status}]"
        terminal.line(
            (f"{prompt.delta:>+8,}", style),
            f"  {_percent(prompt):>7}  ",
            f"{prompt.before_tokens:>8,} → {prompt.after_tokens:<8,}  ",
            (quote_name(prompt.path), "bold"),
            (renamed + status, "dim"),
        )
        for change in prompt.changes:
            style = "red" if change.delta > 0 else "green"
            what = "own text" if change.kind == "own" else quote_name(change.label)
            detail = "" if change.kind == "own" else f" ({change.change})"
            terminal.line(" " * 10, (f"{change.delta:>+8,}", style), f"  {what}", (detail, "dim"))
    before, after = comparison.before, comparison.after
    count = len(comparison.prompts)
    share = _ratio(after - before, before)
    terminal.note(
        f"{count} prompt{'s' if count != 1 else ''}: {before:,} → {after:,} "
        f"({after - before:+,}{f', {share:+.1f}%' if share is not None else ''}); "
        f"{comparison.unchanged} unchanged"
    )


def markdown(comparison: Comparison) -> str:
    """A GitHub-flavoured Markdown table of the comparison."""
    sides = comparison.revisions
    lines = [f"### Token cost: {_code(sides.title)}", ""]
    if not comparison.prompts:
        lines.append(f"No prompt changed ({comparison.unchanged} unchanged).")
    else:
        lines += [
            "| Prompt | Before | After | Δ | % | What changed |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
        ]
        for prompt in comparison.prompts:
            name = _code(prompt.path)
            if prompt.old_path is not None:
                name += f" (was {_code(prompt.old_path)})"
            what = "; ".join(_change_text(c, _code) for c in prompt.changes) or "—"
            lines.append(
                f"| {name} | {_figure(prompt.before)} | {_figure(prompt.after)} | "
                f"{prompt.delta:+,} | {_percent(prompt)} | {what} |"
            )
        before, after = comparison.before, comparison.after
        share = _ratio(after - before, before)
        count = len(comparison.prompts)
        lines.append(
            f"| **Total** | {before:,} | {after:,} | {after - before:+,} | "
            f"{'—' if share is None else f'{share:+.1f}%'} | "
            f"{count} prompt{'s' if count != 1 else ''} changed, {comparison.unchanged} unchanged |"
        )
    encodings = ", ".join(comparison.encodings)
    lines += ["", f"<sub>Counted by tokenls{f' ({encodings})' if encodings else ''}.</sub>", ""]
    return "\n".join(lines)


def _figure(cost: PromptCost | None) -> str:
    if cost is None:
        return "—"
    return f"{'' if cost.exact else '≈'}{cost.tokens:,}"


def _code(text: str) -> str:
    """A name as a Markdown code span inside a table cell: whatever it holds, it stays
    one cell of one row (pipes escaped, controls shown, backticks outnumbered)."""
    shown = quote_name(text).replace("|", "\\|")
    fence = "`" * (_longest_backticks(shown) + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def _longest_backticks(text: str) -> int:
    longest = current = 0
    for char in text:
        current = current + 1 if char == "`" else 0
        longest = max(longest, current)
    return longest
