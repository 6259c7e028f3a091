"""Which budget a prompt has, and how close it is to it.

The budget comes from the first of: the file's frontmatter (``tokenls: {budget: N}``, or
``model:`` and that model's context window), the settings' ``budget`` (from whichever
source wins by precedence), and a configured ``model``'s context window last. The ladder turns a total into at most one
finding, at the highest threshold reached, covering the text from the line where the
running count first passes that threshold to the end of the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from tokenls.config import Settings, Thresholds
from tokenls.config.schema import RANGES, Tokens
from tokenls.models import model_info

TOKENS = RANGES[Tokens]  # a frontmatter budget is held to the setting's range


class Severity(IntEnum):
    INFORMATION = 1
    WARNING = 2
    ERROR = 3


@dataclass(frozen=True, slots=True)
class Budget:
    tokens: int
    source: str  # "frontmatter", "frontmatter model gpt-4o", "tokenls.toml", ...


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


def resolve_budget(
    frontmatter: Mapping[str, Any], settings: Settings, source: str | None
) -> tuple[Budget | None, str | None]:
    """The budget in force and, when the frontmatter's value is unusable, why.

    ``source`` names where ``settings.budget`` came from (a config file, the editor).
    """
    problem = None
    own = frontmatter.get("tokenls")
    if isinstance(own, Mapping) and "budget" in own:
        value = own["budget"]
        if TOKENS.allows(value):
            return Budget(value, "frontmatter"), None
        problem = f"frontmatter tokenls.budget must be {TOKENS.describe()}, got {value!r}"
    model = frontmatter_model(frontmatter)
    if model:
        window = model_info(model, settings.context_windows).context_window
        if window:
            return Budget(window, f"context window of {model}"), problem
        problem = problem or f"unknown context window for model {model!r}"
    if settings.budget is not None:
        return Budget(settings.budget, source or "settings"), problem
    if settings.model:
        window = model_info(settings.model, settings.context_windows).context_window
        if window:
            return Budget(window, f"context window of {settings.model}"), problem
    return None, problem


def budget_finding(total: int, budget: Budget, thresholds: Thresholds) -> BudgetFinding | None:
    """The highest rung of the ladder that ``total`` reaches, or None below the target."""
    share = total / budget.tokens
    numbers = f"{total:,} / {budget.tokens:,} tokens ({share:.0%})"
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
