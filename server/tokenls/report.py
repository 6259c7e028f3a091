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

    def root_of(path: Path) -> Path:
        return next((r for r in roots if r == path or r in path.parents), path)

    totals: dict[Path, int] = {}
    children: dict[Path, set[Path]] = {}
    tops: set[Path] = set()
    for path, tokens in counts:
        root = root_of(path)
        tops.add(root)
        node = path
        while True:
            totals[node] = totals.get(node, 0) + tokens
            if node == root or node.parent == node:
                break
            children.setdefault(node.parent, set()).add(node)
            node = node.parent
    files = {path for path, _ in counts}
    rows: list[tuple[str, int, int]] = []

    def emit(node: Path, depth: int) -> None:
        rows.append((node.as_posix() + ("" if node in files else "/"), totals[node], depth))
        for child in sorted(children.get(node, ())):
            emit(child, depth + 1)

    for root in sorted(tops):
        emit(root, 0)
    return rows
