"""Reading values back from the disk cache: every value is checked for the shape its
writer gave it.

A row is data, not a promise (another version, a damaged database, a hand-edited one):
a value of the wrong type or range reads as a miss, so it is counted again and the
next write repairs it, instead of being reported as a count.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

_DIGEST = re.compile(r"[0-9a-f]{64}")


def natural(value: Any) -> int | None:
    """``value`` if it is a whole number ≥ 0 (a bool is not one)."""
    return value if type(value) is int and value >= 0 else None


def flag(value: Any) -> bool | None:
    return value if type(value) is bool else None


def digest(value: Any) -> str | None:
    """``value`` if it is a SHA-256 hex digest."""
    return value if type(value) is str and _DIGEST.fullmatch(value) else None


def moment(value: Any) -> float | None:
    """``value`` as a finite number of seconds (a time or a duration)."""
    if type(value) in (int, float) and math.isfinite(value):
        return float(value)
    return None


def fields(value: Any, size: int) -> Sequence[Any] | None:
    """``value`` if it is a list (JSON's tuple, or the tuple itself before it reached the
    disk) of ``size`` items."""
    return value if type(value) in (list, tuple) and len(value) == size else None
