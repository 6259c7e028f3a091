"""``check --against REV --max-increase LIMIT``: how much a prompt may grow in one change.

A budget caps a prompt's size; this caps its growth, so a pull request that adds 40% to a
prompt is stopped even while it is under budget. The prompt's total now is the one
``check`` just computed; its total at ``REV`` is counted in that revision's own tree, with
the same root and settings. A prompt that did not exist at ``REV`` has no growth to judge
(its budget still applies). Findings come in ``check``'s own shape, for every format.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from tokenls.history.compare import Change, changes
from tokenls.history.costs import CommitSide, PromptCost, Signature, WorkTreeSide
from tokenls.history.git import Repository
from tokenls.tree.prompts import PromptChecker
from tokenls.tree.report import FindingRow

GROWTH_CODE = "increase"


@dataclass(frozen=True, slots=True)
class Limit:
    """The growth allowed: a percentage of the earlier total, or a number of tokens."""

    text: str
    percent: Fraction | None = None
    tokens: int | None = None

    @classmethod
    def parse(cls, text: str) -> Limit:
        """``10%``, ``2.5%`` or ``500``; ``ValueError`` for anything else."""
        given = text.strip()
        try:
            if given.endswith("%"):
                percent = Fraction(given[:-1].strip())
                if percent < 0:
                    raise ValueError
                return cls(given, percent=percent)
            tokens = int(given.replace(",", "").replace("_", ""))
        except (ValueError, ZeroDivisionError):
            raise ValueError(
                f"{text!r}: expected a percentage (10%) or a number of tokens (500)"
            ) from None
        if tokens < 0:
            raise ValueError(f"{text!r}: a growth limit cannot be negative")
        return cls(given, tokens=tokens)

    def exceeded(self, before: int, after: int) -> bool:
        """Whether growing from ``before`` to ``after`` tokens is more than allowed."""
        grew = after - before
        if grew <= 0:
            return False
        if self.tokens is not None:
            return grew > self.tokens
        assert self.percent is not None
        return grew * 100 > self.percent * before


def growth_findings(
    checker: PromptChecker,
    against: str,
    limit: Limit,
    prompts: Sequence[tuple[str, Path, int]],
) -> list[FindingRow]:
    """One error for each prompt (shown name, path, total now) that grew more than
    ``limit`` since ``against``."""
    repo = Repository.find(checker.root)
    base = repo.commit(against)
    below = _below(checker.root, repo.top) or ""
    renamed = repo.renames(base, None)
    memo: dict[Signature, PromptCost] = {}
    rows: list[FindingRow] = []
    with repo.objects() as objects:
        side = CommitSide(
            against,
            base,
            objects,
            objects.commit_info(base).tree,
            memo,
            listing=repo.files(base),
            encoding=checker.encoding,
            model=checker.model,
            below=below,
        )
        work = WorkTreeSide(repo.top, len(base), checker, memo)
        try:
            for shown, path, tokens in prompts:
                name = _below(path, repo.top)
                if name is None:
                    continue
                old = renamed.get(name, name)
                if old == name and side.inputs(old).signature == work.inputs(name).signature:
                    continue  # nothing it reads changed
                was = side.cost(old)
                if was is None or not limit.exceeded(was.tokens, tokens):
                    continue
                moved = changes(was, work.cost(name), renamed)
                message = _message(was.tokens, tokens, against, limit, moved)
                rows.append(FindingRow(shown, 1, 1, 1, 1, "error", GROWTH_CODE, message))
        finally:
            side.close()
    return rows


def _message(before: int, after: int, against: str, limit: Limit, moved: Sequence[Change]) -> str:
    grew = after - before
    share = f" (+{grew / before * 100:.1f}%)" if before else ""
    allowed = f"+{limit.text}" if limit.percent is not None else f"+{limit.tokens:,} tokens"
    text = (
        f"grew by {grew:,} tokens{share} since {against}: {before:,} → {after:,}, "
        f"more than the {allowed} allowed (--max-increase)"
    )
    biggest = sorted(moved, key=lambda c: -abs(c.delta))[:3]
    if biggest:
        text += "; " + ", ".join(_change_text(c) for c in biggest)
    return text


def _change_text(change: Change) -> str:
    if change.kind == "own":
        return f"own text {change.delta:+,}"
    return f"{change.label} {change.change} {change.delta:+,}"


def _below(path: Path, top: Path) -> str | None:
    """``path`` as a path in the tree of the work tree at ``top``; None outside it."""
    relative = os.path.relpath(os.path.realpath(path), os.path.realpath(top))
    if relative == ".":
        return ""
    if relative == ".." or relative.startswith("../"):
        return None
    return Path(relative).as_posix()
