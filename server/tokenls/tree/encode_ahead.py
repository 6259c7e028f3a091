"""Reading the next files while other threads encode: a tree's cold count on two cores.

Counting a tree is read, hash and decode (Python, holding the GIL), then encode (tiktoken,
which releases the GIL). Done in turn, the reading is paid on top of the encoding; here the
calling thread prepares the steps while encoder threads run their work, so the reading
hides behind the encoding and the encoding spreads over the cores. One thread reads for
all: reading is about a twentieth of the encoding's time, and two threads that each read
and encode wait on each other for the GIL (measured 6% slower on two cores). Results come
back in the order the steps were given, and what waits is bounded: a few batches of
prepared text.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:  # imported when a first batch has work: an unchanged tree never needs it
    from concurrent.futures import Future, ThreadPoolExecutor

R = TypeVar("R")

# Steps are handed over in batches: one hand-over (and one wake-up of each thread) per
# batch, not per file, so the two threads rarely wait on each other for the GIL. About a
# quarter of a megabyte of text is some 20 ms of encoding, long enough to read the next.
# Up to 4 MiB of text may wait: tiktoken's encoder takes ~0.15 s to build, and the reader
# goes on meanwhile.
BATCH_CHARS = 256 * 1024
BATCH_STEPS = 64
BATCHES_WAITING = 16


def read_ahead_pays() -> bool:
    """Whether encoder threads may find a core, by the load average (as ``make -l`` judges
    it; this process counts in it). With every core busy, each hand-over of the GIL between
    the threads waits for the scheduler. Measured on 2 cores with one encoder: read ahead
    took 0.94 times as long as read and encoded in turn at a load of 2.4, 1.14-1.32 times at
    5-8. With one core busy elsewhere two encoders still took 0.92 of one's time."""
    try:
        load = os.getloadavg()[0]
    except OSError:  # no load average on this system: assume the machine is ours
        return True
    return load < (os.cpu_count() or 1) + 0.5


@dataclass(frozen=True, slots=True)
class Ahead(Generic[R]):
    """Work for the encoder thread; ``chars``: about how much text it encodes."""

    work: Callable[[], R]
    chars: int = 0


def encode_ahead(
    steps: Iterable[Ahead[R] | R],
    *,
    batch_chars: int = BATCH_CHARS,
    batch_steps: int = BATCH_STEPS,
    batches_waiting: int = BATCHES_WAITING,
    encoders: int = 1,
) -> Iterator[R]:
    """Each step's result in order: an ``Ahead``'s work's result (run on one of
    ``encoders`` threads, a batch at a time), any other step as it is. ``steps`` is iterated
    on the calling thread, ahead of the results by at most ``batches_waiting`` batches of
    about ``batch_chars`` of text (or ``batch_steps`` steps) each. An exception in a work is
    raised here, at its batch's turn; closing the iterator early drops the batches not yet
    started. A batch with no work (an unchanged tree, answered from the cache) never starts
    a thread."""
    pool: ThreadPoolExecutor | None = None
    waiting: deque[Future[list[R]] | list[R]] = deque()
    batch: list[Ahead[R] | R] = []
    chars = 0
    works = False

    def hand_over() -> None:
        nonlocal pool, batch, chars, works
        if works:
            if pool is None:
                from concurrent.futures import ThreadPoolExecutor

                pool = ThreadPoolExecutor(encoders, thread_name_prefix="tokenls-encode")
            waiting.append(pool.submit(_run, batch))
        else:
            waiting.append(batch)  # type: ignore[arg-type]  # no work: the steps are results
        batch, chars, works = [], 0, False

    try:
        for step in steps:
            batch.append(step)
            if isinstance(step, Ahead):
                chars += step.chars
                works = True
            # The first work goes at once: its thread builds the encoder meanwhile.
            if (chars < batch_chars and len(batch) < batch_steps) and (pool or not works):
                continue
            hand_over()
            while waiting and (_done(waiting[0]) or len(waiting) > batches_waiting):
                yield from _results(waiting.popleft())
        if batch:
            hand_over()
        while waiting:
            yield from _results(waiting.popleft())
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _run(batch: list[Ahead[R] | R]) -> list[R]:
    return [step.work() if isinstance(step, Ahead) else step for step in batch]


def _done(batch: Future[list[R]] | list[R]) -> bool:
    return isinstance(batch, list) or batch.done()


def _results(batch: Future[list[R]] | list[R]) -> list[R]:
    return batch if isinstance(batch, list) else batch.result()
