"""What a model name means for a prompt: its tokenizer, context window and input price.

Context windows live in ``data/models.toml`` (with its source) and can be overridden in
config; prices come from the maintained ``genai-prices`` package, whose snapshot ships with
it, so no price is fetched at run time.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from decimal import Decimal


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    context_window: int | None
    encoding: str | None


@functools.cache
def _table() -> dict[str, dict[str, object]]:
    data = resources.files("tokenls").joinpath("data", "models.toml").read_bytes()
    return tomllib.loads(data.decode("utf-8"))["models"]


def model_info(name: str, overrides: Mapping[str, int] | None = None) -> ModelInfo:
    """Facts about a model; unknown fields are None (never guessed)."""
    entry = _table().get(name, {})
    window = (overrides or {}).get(name) or entry.get("context_window")
    if window is None:
        window = _genai_context_window(name)
    encoding = entry.get("encoding")
    return ModelInfo(
        name,
        int(window) if window else None,
        str(encoding) if encoding else None,
    )


@functools.lru_cache(maxsize=256)
def _genai_context_window(name: str) -> int | None:
    try:
        from genai_prices import Usage, calc_price

        window = calc_price(Usage(input_tokens=1), model_ref=name).model.context_window
    except Exception:  # unknown model or a package without the field: no window known
        return None
    return int(window) if window else None


@functools.lru_cache(maxsize=4096)
def input_cost(name: str, tokens: int) -> Decimal | None:
    """US dollars for sending ``tokens`` input tokens to the model, or None if unknown."""
    try:
        from genai_prices import Usage, calc_price

        return calc_price(Usage(input_tokens=tokens), model_ref=name).input_price
    except Exception:  # LookupError for unknown models; never let pricing break counting
        return None


def format_cost(cost: Decimal | None) -> str:
    if cost is None:
        return "price unknown"
    if cost == 0:
        return "$0"
    from decimal import Decimal  # only a price to show needs it

    if cost < Decimal("0.01"):
        return f"${cost:.2g}" if cost < Decimal("0.0001") else f"${cost:.4f}"
    return f"${cost:,.2f}"
