"""Estimates for models whose tokenizer is not available offline.

An estimate is the local ``o200k_base`` count times a per-model ratio, shown with the
ratio's error ("≈1,230 tok, ±15%") and marked inexact everywhere (``"exact": false``).

Claude: no Claude 3+ tokenizer can be run offline (``anthropic-tokenizer`` on PyPI is the
Claude 2 vocabulary), so its ratio is not measured here. It is the top of the range a
published comparison measured for Claude 3.5 Sonnet against GPT-4o's ``o200k_base`` on the
same inputs: about +16% on English articles, +21% on maths and +30% on Python code (Lavanya
Gupta, "Hidden costs in AI deployment: why Claude models may be 20–30% more expensive than
GPT in enterprise settings", VentureBeat, May 2025). The top of the range keeps budgets
conservative: on that study's corpora the estimate is 0–12% high, never low.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tokenls.engine.counting import Count


@dataclass(frozen=True, slots=True)
class Ratio:
    """Tokens of a model per ``o200k_base`` token, its stated error, and where it is from."""

    ratio: float
    error: float
    source: str


CLAUDE = Ratio(1.30, 0.15, "from a published Claude 3.5 Sonnet vs GPT-4o comparison")
_BY_PREFIX: dict[str, Ratio] = {"claude-": CLAUDE}
# Ratios measured against o200k_base; another local encoding is taken as o200k-like.
BASE_ENCODING = "o200k_base"


def ratio_for(model: str) -> Ratio | None:
    """The calibrated ratio of a model, or None when it is counted by its own tokenizer."""
    for prefix, ratio in _BY_PREFIX.items():
        if model.startswith(prefix):
            return ratio
    return None


def estimate(local: Count, ratio: Ratio) -> Count:
    """The local count scaled by the ratio; its upper bound allows the stated error."""
    tokens = round(local.tokens * ratio.ratio)
    upper = math.ceil(local.bound * ratio.ratio * (1 + ratio.error))
    return Count(tokens, exact=False, upper=max(upper, tokens))


def describe(ratio: Ratio, encoding: str) -> str:
    """How an estimate was made, for hovers and JSON: ``o200k_base × 1.30 ±15%, from ...``."""
    return f"{encoding} × {ratio.ratio:.2f} ±{ratio.error:.0%}, {ratio.source}"
