"""One pass over a log, in bounded memory: failure blocks kept, everything else grouped.

Lines arrive in chunks (from a file, stdin or an editor selection). Failure blocks are
stored verbatim with a few lines of context; every other line joins a group (exact repeats
and near-duplicates by template), so memory grows with the number of distinct templates,
not with the size of the log. Stored failure text is capped too; past the cap, further
failures are grouped by template like everything else and the fitting step says so.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tokenls.compress.classify import BlockTracker, Level, classify
from tokenls.compress.profiles import Profile
from tokenls.compress.templates import TemplateIndex

MAX_BLOCK_CHARS = 8 * 1024 * 1024


@dataclass(slots=True)
class Unit:
    """A failure block (verbatim) or a group of similar lines (one example and a count)."""

    level: Level
    first: int
    lines: list[str]
    is_block: bool = False
    count: int = 1
    identical: bool = True
    cluster: int = -1
    context_before: int = 0
    context_after: int = 0
    cut: int = 0  # block lines left out beyond the profile's max_block_lines
    by_level: dict[Level, int] = field(default_factory=dict)  # lines represented, per level

    @property
    def represented(self) -> int:
        return sum(self.by_level.values())


@dataclass(slots=True)
class Scan:
    """What one pass learnt: units in input order and the totals."""

    units: list[Unit]
    lines: int
    templates: TemplateIndex
    blocks_grouped: int  # failures grouped because stored failure text hit its cap


class Scanner:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.units: list[Unit] = []
        self.templates = TemplateIndex()
        self._groups: dict[tuple[Level, int], Unit] = {}
        self._tracker = BlockTracker()
        self._pending: deque[tuple[int, str, Level, int]] = deque()
        self._block: Unit | None = None
        self._after: Unit | None = None
        self._after_left = 0
        self._index = 0
        self._block_chars = 0
        self._blocks_grouped = 0

    def feed_lines(self, lines: Iterable[str]) -> None:
        context = self.profile.context_lines
        for body in lines:
            index = self._index
            self._index += 1
            level, cluster = self.templates.describe(body)
            step = self._tracker.feed(body, level)
            if step == "start":
                self._start_block(index, body)
            elif step in ("continue", "end") and self._block is not None:
                self._extend_block(body, level)
                if step == "end":
                    self._close_block()
            else:
                if self._block is not None:
                    self._close_block()
                if self._after is not None and self._after_left > 0:
                    self._after.lines.append(body)
                    self._after.context_after += 1
                    _tally(self._after, level)
                    self._after_left -= 1
                    continue
                self._pending.append((index, body, level, cluster))
                if len(self._pending) > context:
                    self._group(*self._pending.popleft())

    def finish(self, context_lines: int | None = None) -> Scan:
        """End the scan; blocks keep at most ``context_lines`` of context (the rest is
        grouped like any other line), and units come back in input order."""
        if self._block is not None:
            self._close_block()
        while self._pending:
            self._group(*self._pending.popleft())
        if context_lines is not None and context_lines < self.profile.context_lines:
            for block in [u for u in self.units if u.is_block]:
                self._trim_context(block, context_lines)
        self.units.sort(key=lambda u: u.first)
        return Scan(self.units, self._index, self.templates, self._blocks_grouped)

    def _trim_context(self, block: Unit, keep: int) -> None:
        extra_before = max(block.context_before - keep, 0)
        extra_after = max(block.context_after - keep, 0)
        before = block.lines[:extra_before]
        after = block.lines[len(block.lines) - extra_after :] if extra_after else []
        block.lines = block.lines[extra_before : len(block.lines) - extra_after]
        block.context_before -= extra_before
        block.context_after -= extra_after
        start_after = block.first + extra_before + len(block.lines) + block.cut
        for offset, body in enumerate(before):
            level = classify(body) if body else Level.VERBOSE
            block.by_level[level] -= 1
            self._group(block.first + offset, body, level)
        for offset, body in enumerate(after):
            level = classify(body) if body else Level.VERBOSE
            block.by_level[level] -= 1
            self._group(start_after + offset, body, level)
        block.first += extra_before

    def _start_block(self, index: int, body: str) -> None:
        if self._block is not None:
            self._close_block()
        if self._block_chars > MAX_BLOCK_CHARS:
            self._blocks_grouped += 1
            self._flush_pending()
            self._group(index, body, Level.CRITICAL)
            self._block = None
            return
        before = list(self._pending)
        self._pending.clear()
        start = before[0][0] if before else index
        unit = Unit(Level.CRITICAL, start, [pending[1] for pending in before], True)
        unit.context_before = len(before)
        for pending in before:
            _tally(unit, pending[2])
        unit.lines.append(body)
        _tally(unit, Level.CRITICAL)
        self._block_chars += len(body)
        self.units.append(unit)
        self._block = unit
        self._after = None

    def _extend_block(self, body: str, level: Level) -> None:
        block = self._block
        assert block is not None
        _tally(block, Level.CRITICAL)
        core = len(block.lines) - block.context_before
        if core < self.profile.max_block_lines:
            block.lines.append(body)
            self._block_chars += len(body)
        else:
            block.cut += 1

    def _close_block(self) -> None:
        self._after = self._block
        self._after_left = self.profile.context_lines
        self._block = None

    def _flush_pending(self) -> None:
        while self._pending:
            self._group(*self._pending.popleft())

    def _group(self, index: int, body: str, level: Level, cluster: int | None = None) -> None:
        if cluster is None:
            cluster = self.templates.describe(body)[1]
        key = (level, cluster)
        unit = self._groups.get(key)
        if unit is None:
            unit = Unit(level, index, [body], cluster=cluster)
            self._groups[key] = unit
            self.units.append(unit)
        else:
            unit.count += 1
            if unit.identical and body != unit.lines[0]:
                unit.identical = False
        _tally(unit, level)


def _tally(unit: Unit, level: Level) -> None:
    unit.by_level[level] = unit.by_level.get(level, 0) + 1


def split_lines_stream(chunks: Iterable[str]) -> Iterator[str]:
    """Lines (without their breaks) from text chunks; ``\\r\\n`` and ``\\r`` end lines too."""
    carry = ""
    for chunk in chunks:
        if not chunk:
            continue
        text = carry + chunk
        held = ""
        if text.endswith("\r"):  # maybe half of a \r\n: decide with the next chunk
            text, held = text[:-1], "\r"
        parts = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        carry = parts.pop() + held
        yield from parts
    if carry:
        yield carry[:-1] if carry.endswith("\r") else carry
