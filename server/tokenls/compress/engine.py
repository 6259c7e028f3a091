"""The compression pipeline: read once (bounded), score lines, choose under the budget, render.

The output is input lines, unchanged and in input order, plus one marker line per gap; a
log that fits the budget comes back as it is (after ``normalize``). The same input and
options give the same bytes; cross-run memory and a passing baseline change only which
lines are chosen, never their text.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tokenls.compress import signals
from tokenls.compress.held import HeldLog, hold
from tokenls.compress.memory import ErrorMemory
from tokenls.compress.profiles import detect_profile, load_profile
from tokenls.compress.render import fit
from tokenls.compress.select import plan, score, shape
from tokenls.engine.counting import Counter

_SAMPLE_LINES = 400


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
    failures: int
    unchanged: bool
    notes: list[str] = field(default_factory=list)

    def stats(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "budget": self.budget,
            "profile": self.profile,
            "profile_auto": self.profile_auto,
            "input_lines": self.input_lines,
            "kept_lines": self.kept_lines,
            "dropped_lines": self.dropped_lines,
            "failures": self.failures,
            "unchanged": self.unchanged,
        }


class CompressCancelled(Exception):
    """The caller asked to stop (an editor cancelled the request)."""


def compress(
    chunks: Iterable[str],
    budget: int,
    counter: Counter,
    *,
    profile: str = "auto",
    custom_profiles: Mapping[str, Any] | None = None,
    baseline: Iterable[str] | None = None,
    memory: ErrorMemory | None = None,
    keep_ansi: bool = False,
    on_chunk: Callable[[int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    count_input: bool = True,
) -> CompressResult:
    """Compress a log to at most ``budget`` tokens, keeping the failure a person looks for.

    ``baseline`` is the text of a passing run: lines whose shape it also holds are worth
    less. ``count_input=False`` skips the exact count of the input (``input_tokens`` is then
    -1): on a large log that count, not the compression, is the slowest part."""
    if budget < 1:
        raise ValueError("the budget must be at least 1 token")
    tokens = _BackgroundCount(counter) if count_input else _NoCount()
    log = hold(_tap(chunks, tokens, on_chunk, cancelled), keep_ansi=keep_ansi)
    input_tokens = tokens.result()
    auto = profile == "auto"
    chosen = (
        detect_profile(log.visible[:_SAMPLE_LINES])
        if auto
        else load_profile(profile, custom_profiles)
    )
    lines = log.lines
    failures = sum(1 for k in log.kinds if k == signals.FAILURE)
    whole = "" if log.elided else "".join(line + "\n" for line in lines)
    if not log.elided and _fits(whole, budget, counter):
        used = counter.count(whole).tokens
        return CompressResult(
            whole, input_tokens, used, budget, chosen.name, auto, log.input_lines,
            len(lines), 0, failures, True,
        )  # fmt: skip
    # Each line's tokens with its line break.
    line_tokens = [n + 1 for n in counter.encode_lens(lines)] if lines else []
    for i in log.elided:
        line_tokens[i] = 0
    texts = log.visible
    boost = _boosts(texts, log.elided, baseline, memory)
    if memory is not None:
        memory.record(line for i, line in enumerate(texts) if log.kinds[i] == signals.FAILURE)
    text, kept, used = _choose(lines, line_tokens, budget, log, chosen.reserve, boost, counter)
    notes = []
    if failures and not any(log.kinds[i] == signals.FAILURE for i in kept):
        notes.append("no failure line fits the budget: raise it to see the failure")
    return CompressResult(
        text, input_tokens, used, budget, chosen.name, auto, log.input_lines, len(kept),
        log.input_lines - len(kept), failures, False, notes,
    )  # fmt: skip


_TOP_UPS = 3


def _choose(
    lines: list[str],
    line_tokens: list[int],
    budget: int,
    log: HeldLog,
    reserve: float,
    boost: dict[int, float] | None,
    counter: Counter,
) -> tuple[str, list[int], int]:
    """Plan, render, count exactly; while room is left (gap markers cost less than the plan
    assumed), plan again with that room added."""
    best: tuple[str, list[int], int] | None = None
    texts = log.visible  # what the lines say; ``lines`` is what is output
    scored = score(texts, line_tokens, budget, kinds=log.kinds, skip=set(log.elided), boost=boost)
    target = budget
    for _ in range(_TOP_UPS):
        chosen = plan(texts, line_tokens, target, scored, tail_share=reserve)
        result = fit(
            lines, log.kinds, chosen.kept, chosen.values, line_tokens, budget,
            lambda s: counter.count(s).tokens, log.elided, scored.repeat_of,
        )  # fmt: skip
        if best is None or len(result[1]) > len(best[1]):
            best = result
        room = budget - result[2]
        if room < budget * 0.03 or len(result[1]) == len(lines):
            break
        target += int(room * 0.9)
    assert best is not None
    return best


def _fits(text: str, budget: int, counter: Counter) -> bool:
    # No token is shorter than one byte, and few are longer than 16 characters: skip the
    # exact count when the answer is already certain.
    if len(text.encode("utf-8", "surrogatepass")) <= budget:
        return True
    if len(text) > 16 * budget:
        return False
    return counter.count(text).tokens <= budget


def _boosts(
    lines: list[str],
    elided: Mapping[int, object],
    baseline: Iterable[str] | None,
    memory: ErrorMemory | None,
) -> dict[int, float] | None:
    """Multipliers from outside this log: a passing run's lines, errors seen before."""
    if baseline is None and memory is None:
        return None
    passing = {shape(line) for line in baseline} if baseline is not None else set()
    boost: dict[int, float] = {}
    for i, line in enumerate(lines):
        if i in elided:
            continue
        factor = 1.0
        if baseline is not None:
            factor *= 0.1 if shape(line) in passing else 3.0
        if memory is not None:
            factor *= memory.weight(line)
        if factor != 1.0:
            boost[i] = factor
    return boost


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
        self._total: int | None = None
        self._error: Exception | None = None
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
        if self._total is None:
            raise RuntimeError("the output's count stopped before its end")
        return self._total

    def _run(self, counter: Counter) -> None:
        def chunks() -> Iterator[str]:
            while (chunk := self._queue.get()) is not None:
                yield chunk

        try:
            self._total = counter.count_stream(chunks()).tokens
        except Exception as exc:  # reported to the caller by result()
            self._error = exc
        finally:
            if self._total is None:  # stopped early: drain so the producer never blocks
                while self._queue.get() is not None:
                    pass
