"""Order arithmetic in integer cents."""

from __future__ import annotations


def total(cents: list[int]) -> int:
    """The sum of the lines of an order."""
    return sum(cents)


def split(cents: int, parts: int) -> list[int]:
    """``cents`` shared out in ``parts`` as evenly as possible, the remainder first."""
    base, rest = divmod(cents, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]
