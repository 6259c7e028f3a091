"""The compression pipeline: one streamed scan, then budget fitting.

``compress`` reads a stream of text chunks once, in bounded memory, while a second thread
counts the input's tokens (tiktoken releases the GIL, so both cores work). The output is
deterministic for the same input, settings and cross-run memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from tokenls.compress.classify import Level
from tokenls.compress.fit import fit
from tokenls.compress.memory import ErrorMemory
from tokenls.compress.profiles import Profile, detect_profile, load_profile
from tokenls.compress.stream import Scanner, Unit, split_lines_stream
from tokenls.engine.counting import Counter

_SAMPLE_LINES = 400
GENEROUS = Profile("auto", context_lines=3, reserve=0.1, max_block_lines=200)


@dataclass(slots=True)
class CompressResult:
    text: str
    input_tokens: int
    output_tokens: int
    budget: int
    profile: str
    profile_auto: bool
    input_lines: int
    kept_lines: int
    dropped_lines: int
    templates: int
    failures: int
    overflow: bool
    notes: list[str] = field(default_factory=list)

    def stats(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "budget": self.budget,
            "profile": self.profile,
            "kept_lines": self.kept_lines,
            "dropped_lines": self.dropped_lines,
            "templates": self.templates,
            "input_lines": self.input_lines,
            "failures": self.failures,
            "profile_auto": self.profile_auto,
            "overflow": self.overflow,
        }


def compress(
    chunks: Iterable[str],
    budget: int,
    counter: Counter,
    *,
    profile: str = "auto",
    custom_profiles: Mapping[str, Any] | None = None,
    memory: ErrorMemory | None = None,
    on_chunk: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    count_input: bool = True,
) -> CompressResult:
    """Compress a log to at most ``budget`` tokens, keeping every failure it can.

    ``count_input=False`` skips the exact count of the input (``input_tokens`` is then -1):
    on a large log that count, not the compression, is the slowest part."""
    if budget < 1:
        raise ValueError("the budget must be at least 1 token")
    tokens = _BackgroundCount(counter) if count_input else _NoCount()
    lines = split_lines_stream(_tap(chunks, tokens, on_chunk, cancelled))
    auto = profile == "auto"
    # Auto mode scans with the most generous profile and decides once it has seen every
    # failure; blocks then keep only the context the chosen profile asks for.
    scanning = GENEROUS if auto else load_profile(profile, custom_profiles)
    sample = list(islice(lines, _SAMPLE_LINES))
    scanner = Scanner(scanning)
    scanner.feed_lines(sample)
    scanner.feed_lines(lines)
    if auto:
        partial = scanner.units
        chosen = detect_profile([*sample, *_first_lines_of_failures(partial)])
    else:
        chosen = scanning
    scan = scanner.finish(chosen.context_lines)
    input_tokens = tokens.result()
    annotate = memory.annotator(scan.units, scan.templates) if memory else None
    fitted = fit(scan.units, budget, chosen.reserve, counter, annotate)
    if memory is not None:
        memory.record(scan.units, scan.templates)
    failures = sum(u.count for u in scan.units if u.level == Level.CRITICAL and not u.is_block)
    failures += sum(1 for u in scan.units if u.is_block)
    notes = []
    if fitted.overflow:
        notes.append("failures alone exceed the budget: first and last kept, the rest summarised")
    if scan.blocks_grouped:
        notes.append(f"{scan.blocks_grouped:,} failures past the stored-failure cap were grouped")
    return CompressResult(
        fitted.text,
        input_tokens,
        fitted.tokens,
        budget,
        chosen.name,
        auto,
        scan.lines,
        fitted.kept_lines,
        scan.lines - fitted.kept_lines,
        sum(1 for u in scan.units if not u.is_block),
        failures,
        fitted.overflow,
        notes,
    )


def _first_lines_of_failures(units: list[Unit], limit: int = 200) -> list[str]:
    found = []
    for unit in units:
        if unit.level == Level.CRITICAL:
            found.append(unit.lines[unit.context_before] if unit.is_block else unit.lines[0])
            if len(found) >= limit:
                break
    return found


def _tap(
    chunks: Iterable[str],
    tokens: _BackgroundCount | _NoCount,
    on_chunk: Callable[[int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> Iterator[str]:
    try:
        for chunk in chunks:
            if cancelled is not None and cancelled():
                raise CompressCancelled("compression cancelled")
            tokens.feed(chunk)
            if on_chunk is not None:
                on_chunk(len(chunk))
            yield chunk
    finally:
        tokens.close()


class CompressCancelled(Exception):
    """The caller asked to stop (an editor cancelled the request)."""


class _NoCount:
    def feed(self, chunk: str) -> None:
        pass

    def close(self) -> None:
        pass

    def result(self) -> int:
        return -1


class _BackgroundCount:
    """Counts the input's tokens on another thread while the scan runs on this one."""

    def __init__(self, counter: Counter) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=4)  # bounds memory
        self._total = 0
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(counter,), daemon=True)
        self._thread.start()

    def feed(self, chunk: str) -> None:
        self._queue.put(chunk)

    def close(self) -> None:
        self._queue.put(None)

    def result(self) -> int:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._total

    def _run(self, counter: Counter) -> None:
        def chunks() -> Iterator[str]:
            while (chunk := self._queue.get()) is not None:
                yield chunk

        try:
            self._total = counter.count_stream(chunks()).tokens
        except BaseException as exc:  # reported to the caller by result()
            self._error = exc
            while self._queue.get() is not None:  # drain so the producer never blocks
                pass
