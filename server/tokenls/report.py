"""Small summaries shared by the command line and the server: totals by directory, errors."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def estimate_error(estimate: int, exact: int) -> str:
    """Relative error of an estimate against the exact count, as ``+12.5%``."""
    if exact == 0:
        return "n/a" if estimate else "0.0%"
    return f"{(estimate - exact) / exact * 100:+.1f}%"


def directory_totals(
    counts: Sequence[tuple[Path, int]], roots: Sequence[Path]
) -> list[tuple[str, int, int]]:
    """``(path, tokens, depth)`` rows, each directory followed by its children, like ``du``."""
    totals: dict[Path, int] = {}
    for path, tokens in counts:
        root = next((r for r in roots if r == path or r in path.parents), path)
        node = path
        while True:
            totals[node] = totals.get(node, 0) + tokens
            if node == root or node.parent == node:
                break
            node = node.parent
    rows: list[tuple[str, int, int]] = []

    def emit(node: Path, depth: int) -> None:
        rows.append(
            (node.as_posix() + ("/" if node not in dict(counts) else ""), totals[node], depth)
        )
        children = sorted(p for p in totals if p.parent == node and p != node)
        for child in children:
            emit(child, depth + 1)

    for root in sorted(
        {next((r for r in roots if r == p or r in p.parents), p) for p, _ in counts}
    ):
        emit(root, 0)
    return rows
