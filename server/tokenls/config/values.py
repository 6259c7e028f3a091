"""What a setting's value may be: the range of each numeric type, and the reference
syntaxes a ``references`` setting may name.

Every number has an upper bound: ``inf`` or an absurd value could make a wait endless or a
conversion fail far from the setting that caused it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tokenls.config.schema import (
    Bytes,
    IntervalMs,
    Milliseconds,
    ReferenceCount,
    Share,
    TimeoutSeconds,
    Tokens,
    TtlSeconds,
    WindowSeconds,
)

# The reference syntaxes a ``references`` setting may name (``tokenls.references.parse``).
REFERENCE_SYNTAXES: tuple[str, ...] = (
    "hash_file",
    "markdown_link",
    "at_import",
    "prompty_file",
    "continue_file",
    "file_uri",
    "variable",
    "input_variable",
    "continue_url",
    "prompty_url",
    "hash_url",
    "at_url",
)


@dataclass(frozen=True, slots=True)
class Range:
    """What a numeric setting accepts: a finite number from ``low`` to ``high`` (``low``
    itself excluded when ``above``), whole when ``whole``. Every number has an upper bound:
    ``inf`` or an absurd value could make a wait endless or a conversion fail far from
    the setting that caused it."""

    low: float
    high: float
    above: bool = False
    whole: bool = False
    unit: str = ""
    text: str = ""  # what the value is, when "a positive number" says too little

    def allows(self, value: Any) -> bool:
        if not _number(value) or (self.whole and not isinstance(value, int)):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        return (value > self.low if self.above else value >= self.low) and value <= self.high

    def describe(self) -> str:
        kind = "whole number" if self.whole else "number"
        what = f"{kind} of {self.unit}" if self.unit else kind
        if (self.above and self.low == 0) or (self.whole and self.low == 1):
            allowed = f"a positive {what} up to {_shown(self.high)}"
        else:
            allowed = f"a {what} from {_shown(self.low)} to {_shown(self.high)}"
        return f"{allowed} ({self.text})" if self.text else allowed


def _shown(number: float) -> str:
    return f"{int(number):,}" if number == int(number) else f"{number:g}"


MAX_TOKENS = 1_000_000_000
MAX_BYTES = 1 << 30
# The range of each numeric setting; ``rate.limits`` values have theirs in LIMIT_RANGES.
RANGES: dict[Any, Range] = {
    Tokens: Range(1, MAX_TOKENS, whole=True, unit="tokens"),
    Bytes: Range(1, MAX_BYTES, whole=True, unit="bytes"),
    Share: Range(0, 10, above=True, text="a share such as 0.8"),
    Milliseconds: Range(0, 10_000, whole=True, unit="milliseconds"),
    TimeoutSeconds: Range(0, 600, above=True, unit="seconds"),
    TtlSeconds: Range(0, 366 * 86_400, above=True, unit="seconds"),
    WindowSeconds: Range(1, 3600, unit="seconds"),
    IntervalMs: Range(0, 60_000, unit="milliseconds"),
    ReferenceCount: Range(1, 50_000, whole=True, unit="references"),  # < MAX_PARSED_REFERENCES
}
LIMIT_RANGES: dict[str, Range] = {
    "requests_per_minute": Range(0, 1_000_000, above=True),
    "tokens_per_minute": Range(0, 1_000_000_000_000, above=True),
}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
