"""Where the first failure's report lies in a log: its banner, its headline, its end.

A reader who sees every failure's headline next wants one failure whole, the way the tool
printed it; the first one in the failing step is the one a person reads first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

from tokenls.compress import signals

REPORT_LINES = 80  # lines below its headline a failure's report may run to
LEAD_IN = 30  # lines above its headline a failure's report may start
# A line that opens a failure's report: pytest's ``___ test ___`` and ``=== FAILURES ===``,
# libtest's ``---- name stdout ----``, unittest's ``=====`` rule and ``FAIL: name``.
BANNER = re.compile(r"\s*(?:_{3,} .* _{3,}|={3,}|-{4} \S+ stdout -{4}|(?:FAIL|ERROR): \S)")


def locate(
    lines: Sequence[str],
    blank: Sequence[bool],
    kinds: Sequence[int],
    demoted: AbstractSet[int],
    heads: Sequence[int],
    step: tuple[int, int],
) -> tuple[int, int, int] | None:
    """(banner or first line, headline, end) of the first failure report of the failing
    ``step``; ``heads`` are the strong headlines' lines, in order."""
    inside = [i for i in heads if step[0] <= i < step[1]]
    if not inside and not heads:
        return None
    head = (inside or heads)[0]
    others = set(heads)

    def quiet(i: int) -> bool:
        return kinds[i] == signals.NOISE or i in demoted

    for i in range(head - 1, max(head - LEAD_IN, -1), -1):
        if BANNER.match(lines[i]):
            top = i - 1 if i > 0 and BANNER.match(lines[i - 1]) else i
            return top, head, _end(lines, blank, head, others)
        if blank[i]:
            continue
        if quiet(i) or i in others:
            break
    top = head
    for i in range(head - 1, max(head - LEAD_IN, -1), -1):
        text = lines[i]
        if not blank[i] and quiet(i):
            break
        top = i
        if not (blank[i] or signals.is_detail(text) or text.startswith(("self =", ">"))):
            break
    return top, head, _end(lines, blank, head, others)


def _end(lines: Sequence[str], blank: Sequence[bool], head: int, others: AbstractSet[int]) -> int:
    """Where the report under ``head`` ends: another failure, a banner, a passing test,
    two blank lines."""
    bottom, blanks = head + 1, 0
    while bottom < min(len(lines), head + REPORT_LINES):
        text = lines[bottom]
        if bottom in others or BANNER.match(text) or signals.is_passing(text):
            break
        blanks = blanks + 1 if blank[bottom] else 0
        if blanks >= 2:
            break
        bottom += 1
    return bottom
