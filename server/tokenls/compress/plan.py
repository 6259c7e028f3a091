"""One plan for a prompt over its budget: how far to shrink each log in it.

A prompt may paste several logs and reference others. Squeezing only the largest one can
leave the prompt over its budget (and that one log at a few dozen tokens, its failures
gone). ``share`` gives every log a budget instead: the largest logs shrink first, each down
to the size of the next, until the prompt fits — never below a log's ``floor`` (room for
the headline of each of its failures) while that is possible, never below ``MIN_TARGET``.
When even that leaves the prompt over, the plan says by how much, and that the rest of the
prompt (its own text, references that are not logs) is what is over.

``fit`` runs the plan against the real compressor (a callback: this module sees costs, not
text): compressed logs rarely land exactly on their budgets and a rewritten reference costs
a token or two, so it plans again with the difference held back until the prompt fits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tokenls.engine.counting import Counter

MIN_TARGET = 64  # a log's least budget: its gap markers and a failure line or two
HEADLINE_MARKER = 12  # tokens of the gap marker a kept headline usually brings
_ROUNDS = 4


@dataclass(frozen=True, slots=True)
class LogCost:
    tokens: int  # what the log adds to the prompt now
    floor: int = MIN_TARGET  # the least it should shrink to (room for its failures)


@dataclass(frozen=True, slots=True)
class Shares:
    targets: tuple[int | None, ...]  # each log's budget; None: left as it is
    over: int  # tokens the prompt stays over with every log at its least (0: it fits)
    rest: int  # tokens of the prompt that are in no log


def share(logs: Sequence[LogCost], total: int, budget: int) -> Shares:
    """Budgets for ``logs`` so that a prompt of ``total`` tokens fits ``budget``."""
    sizes = [log.tokens for log in logs]
    rest = total - sum(sizes)
    room = budget - rest
    if sum(sizes) <= room:
        return Shares(tuple(None for _ in logs), 0, rest)
    floors = [min(max(log.floor, MIN_TARGET), log.tokens) for log in logs]
    if sum(floors) > room:  # the failures' headlines do not fit either: the least it can be
        floors = [min(MIN_TARGET, size) for size in sizes]
    if sum(floors) > room:
        targets = tuple(f if f < s else None for f, s in zip(floors, sizes, strict=True))
        return Shares(targets, rest + sum(floors) - budget, rest)
    cap = _level(sizes, floors, room)
    targets = tuple(
        None if min(max(cap, f), s) >= s else max(cap, f)
        for f, s in zip(floors, sizes, strict=True)
    )
    return Shares(targets, 0, rest)


def _level(sizes: list[int], floors: list[int], room: int) -> int:
    """The highest cap C with sum(clamp(C, floor, size)) <= room (water filling)."""
    low, high = 0, max(sizes)
    while low < high:
        mid = (low + high + 1) // 2
        if sum(min(max(mid, f), s) for f, s in zip(floors, sizes, strict=True)) <= room:
            low = mid
        else:
            high = mid - 1
    return low


@dataclass(frozen=True, slots=True)
class Fitted:
    targets: tuple[int | None, ...]  # the budgets the logs were compressed to
    costs: tuple[int, ...]  # what each log adds to the prompt afterwards
    total: int  # the prompt's tokens afterwards
    over: int  # tokens over the budget afterwards (0: it fits)
    rest: int  # tokens of the prompt that are in no log


def fit(
    logs: Sequence[LogCost],
    total: int,
    budget: int,
    shrink: Callable[[int, int], int],
) -> Fitted:
    """Compress logs until the prompt fits: ``shrink(i, target)`` compresses log ``i`` to
    at most ``target`` tokens and returns what it then adds to the prompt."""
    held = 0
    shares = share(logs, total, budget)
    for _ in range(_ROUNDS):
        shares = share(logs, total, budget - held)
        costs = tuple(
            log.tokens if target is None else shrink(i, target)
            for i, (log, target) in enumerate(zip(logs, shares.targets, strict=True))
        )
        after = shares.rest + sum(costs)
        if after <= budget or shares.over:
            break
        held += after - budget
    return Fitted(shares.targets, costs, after, max(after - budget, 0), shares.rest)


def failure_floor(text: str, counter: Counter) -> int:
    """Tokens a log needs to show the headline of each of its failures, with gap markers."""
    from tokenls.compress import headlines
    from tokenls.compress.held import visible_lines

    lines = visible_lines(text)
    heads = {lines[h.head].strip() for h in headlines.find(lines)}
    return sum(counter.count(head + "\n").tokens + HEADLINE_MARKER for head in heads)
