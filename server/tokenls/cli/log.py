"""``tokenls log PATH``: a prompt's token cost through its history, newest first.

One row a commit — commit, date, subject, total, delta — and on a terminal a sparkline of
the total over time above them; ``--json`` for scripts. The work is in
``tokenls.history.timeline``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenls.cli.arguments import positive
from tokenls.output.escaping import json_name, quote_name
from tokenls.output.terminal import EXIT_OK, Terminal, UsageError

if TYPE_CHECKING:
    from tokenls.history.timeline import History, Point

BARS = "▁▂▃▄▅▆▇█"
CHART_WIDTH = 60


def add_parser(
    sub: Any, common: argparse.ArgumentParser, encoding: Callable[[str], str], helps: dict[str, str]
) -> None:
    log = sub.add_parser(
        "log",
        parents=[common],
        help="a prompt's token cost through its git history",
        description="The prompt's total at each commit that changed it or a file it reads "
        "(first-parent history of HEAD, renames followed), each counted in its own tree.",
    )
    log.add_argument("path", metavar="PATH", help="the prompt")
    log.add_argument("--json", action="store_true", help="machine-readable output")
    log.add_argument(
        "-n", "--max-count", type=positive, default=None, metavar="N", help="the last N changes"
    )
    log.add_argument(
        "--chart",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the sparkline above the rows (default: on a terminal)",
    )
    log.add_argument("--encoding", type=encoding, default=None, help=helps["encoding"])
    log.add_argument("--model", default=None, help=helps["model"])
    log.set_defaults(run=run_log)


def run_log(args: argparse.Namespace, terminal: Terminal) -> int:
    from tokenls.cli.diff import tree_path
    from tokenls.history.git import Repository
    from tokenls.history.git_hardening import GitError
    from tokenls.history.timeline import history

    try:
        folder = Path(args.path).parent
        repo = Repository.find(folder if folder.is_dir() else Path.cwd())
        path = tree_path(repo, args.path)
        if not path:
            raise UsageError("a prompt file, not the repository's top", args.path)
        found = history(repo, path, encoding=args.encoding, model=args.model, limit=args.max_count)
    except GitError as exc:
        raise UsageError(str(exc), args.path) from None
    if args.json:
        terminal.json(history_json(found))
        return EXIT_OK
    chart = args.chart if args.chart is not None else _on_terminal()
    _print_text(found, terminal, chart)
    return EXIT_OK


def _on_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def sparkline(values: Sequence[int | None], width: int = CHART_WIDTH) -> str:
    """Values as bars, oldest on the left; at most ``width`` of them (evenly picked)."""
    if len(values) > width:
        step = (len(values) - 1) / (width - 1)
        values = [values[round(i * step)] for i in range(width)]
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low
    bars = []
    for value in values:
        if value is None:
            bars.append(" ")
        elif span == 0:
            bars.append(BARS[len(BARS) // 2])
        else:
            bars.append(BARS[round((value - low) / span * (len(BARS) - 1))])
    return "".join(bars)


def history_json(found: History) -> dict[str, Any]:
    return {**json_name(found.path), "points": [_point_json(p) for p in found.points]}


def _point_json(point: Point) -> dict[str, Any]:
    cost = point.cost
    return {
        "commit": point.commit,
        "date": point.date,
        "subject": point.subject,
        **json_name(point.path),
        "tokens": cost.tokens if cost else None,
        "own_tokens": cost.own if cost else None,
        "exact": cost.exact if cost else None,
        "delta": point.delta,
        "prompt_changed": point.own_change,
        "error": point.error,
    }


def _print_text(found: History, terminal: Terminal, chart: bool) -> None:
    points = found.points
    known = [p.tokens for p in points if p.tokens is not None]
    if known:
        first, last = known[-1], known[0]
        share = f", {(last - first) / first * 100:+.1f}%" if first else ""
        terminal.note(
            f"{quote_name(found.path)}: {first:,} → {last:,} tokens over {len(points)} "
            f"commit{'s' if len(points) != 1 else ''} ({last - first:+,}{share})"
        )
    if chart and len(points) > 1:
        line = sparkline([p.tokens for p in reversed(points)])
        terminal.line((line, "cyan"), (f"  {min(known):,}–{max(known):,}", "dim"))
    for point in points:
        if point.tokens is None:
            total = "error" if point.error else "—"
        else:
            total = f"{'' if point.cost and point.cost.exact else '≈'}{point.tokens:,}"
        delta = "" if point.delta is None else f"{point.delta:+,}"
        style = "red" if (point.delta or 0) > 0 else "green" if (point.delta or 0) < 0 else "dim"
        via = "" if point.own_change else "  (a file it reads changed)"
        renamed = f" [{quote_name(point.path)}]" if point.path != found.path else ""
        terminal.line(
            (point.commit[:10], "yellow"),
            f"  {point.date[:10]}  {total:>9}  ",
            (f"{delta:>8}", style),
            f"  {point.subject}",
            (renamed + via, "dim"),
        )
        if point.error:
            terminal.note(f"{point.commit[:10]}: {point.error}")
