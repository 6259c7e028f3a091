"""A prompt's budget and how close it is to it.

Which budget applies is decided with the file's tokenizer and model in ``tokenls.workspace.choice``.
The ladder here turns a total into at most one finding, at the highest threshold reached,
covering the text from the line where the running count first passes that threshold to
the end of the file. An estimated total is marked ``≈`` in the finding's message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from tokenls.config import Thresholds
from tokenls.config.schema import Tokens
from tokenls.config.values import RANGES

TOKENS = RANGES[Tokens]  # a frontmatter budget is held to the setting's range


class Severity(IntEnum):
    INFORMATION = 1
    WARNING = 2
    ERROR = 3


@dataclass(frozen=True, slots=True)
class Budget:
    tokens: int
    source: str  # "--budget", "frontmatter", "context window of gpt-4, --model", "tokenls.toml"


@dataclass(frozen=True, slots=True)
class BudgetFinding:
    severity: Severity
    threshold: int  # tokens at which this severity starts
    message: str


def frontmatter_model(frontmatter: Mapping[str, Any]) -> str | None:
    model = frontmatter.get("model")
    if isinstance(model, Mapping):  # prompty: model: {configuration: {name: ...}}
        model = model.get("name") or (model.get("configuration") or {}).get("name")
    return model if isinstance(model, str) and model else None


def budget_finding(
    total: int, budget: Budget, thresholds: Thresholds, exact: bool = True
) -> BudgetFinding | None:
    """The highest rung of the ladder that ``total`` reaches, or None below the target;
    ``exact``: whether ``total`` is a count, not an estimate."""
    share = total / budget.tokens
    numbers = f"{'' if exact else '≈'}{total:,} / {budget.tokens:,} tokens ({share:.0%})"
    if share > thresholds.error:
        over = total - budget.tokens
        if over > 0:
            what = f"over budget by {over:,}"
        else:  # an error threshold below 1: past it, yet not over the budget itself
            under = f"{-over:,} under the budget" if over else "exactly at the budget"
            what = f"past the {thresholds.error:.0%} error threshold, {under}"
        return BudgetFinding(
            Severity.ERROR,
            int(budget.tokens * thresholds.error) + 1,
            f"{numbers}: {what} ({budget.source})",
        )
    if share >= thresholds.warning:
        return BudgetFinding(
            Severity.WARNING,
            _ceil(budget.tokens * thresholds.warning),
            f"{numbers}: near the budget ({budget.source})",
        )
    if share >= thresholds.target:
        return BudgetFinding(
            Severity.INFORMATION,
            _ceil(budget.tokens * thresholds.target),
            f"{numbers}: past the {thresholds.target:.0%} target ({budget.source})",
        )
    return None


def _ceil(value: float) -> int:
    return int(-(-value // 1))
