"""Exact token counts of text, in bounded time, with an honest flag when they are not exact.

Counts equal ``len(enc.encode_ordinary(text))``. Long text is split at exact cuts
(``tokenls.engine.cuts``) into pieces whose counts are cached by content, so re-counting a long
line after a one-character edit re-encodes one piece. A run with no exact cut longer than
``max_exact`` characters (a megabyte of one repeated character, say) is not encoded whole:
tiktoken is slow there, and its regex engine overflows its stack on long whitespace runs
with ``o200k_base``. Such a run is counted piecewise as an estimate, marked inexact, with
its UTF-8 byte length as a hard upper bound (no token is shorter than one byte).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from tokenls.cache import stored
from tokenls.engine.cuts import last_cut, split_exact
from tokenls.engine.engines import (
    FAST_CHARS,
    AutoEngine,
    Engine,
    EngineChoice,
    make_engine,
)
from tokenls.engine.panics import unless_panic

__all__ = ["FAST_CHARS", "Count", "Counter"]

PIECE_CHARS = 4096
EDITOR_MAX_EXACT = 64 * 1024
BATCH_MAX_EXACT = 1024 * 1024
_CACHE_PIECES = 4096
STREAM_PIECE_CHARS = 256 * 1024
_ESTIMATE_SAMPLES = 16
# Characters counted in Python before tiktoken's encoder is built (its ~0.1 s build is worth
# it past this): a short log or prompt never builds it.
PURE_CHARS = 64 * 1024
log = logging.getLogger("tokenls.engine")


@dataclass(frozen=True, slots=True)
class Count:
    """A token count; ``upper`` bounds it from above and equals it when ``exact``."""

    tokens: int
    exact: bool = True
    upper: int | None = None

    @property
    def bound(self) -> int:
        return self.tokens if self.upper is None else self.upper

    def __add__(self, other: Count) -> Count:
        exact = self.exact and other.exact
        return Count(
            self.tokens + other.tokens,
            exact,
            None if exact else self.bound + other.bound,
        )

    def label(self) -> str:
        """``1,234 tok`` or ``≈1,234 tok`` for humans."""
        return f"{'' if self.exact else '≈'}{self.tokens:,} tok"

    def stored(self) -> list[Any]:
        """The count as the disk cache keeps it."""
        return [self.tokens, self.exact, self.upper]

    @classmethod
    def from_stored(cls, value: Any) -> Count | None:
        """A count read back from the disk cache, or None when the value is not one."""
        items = stored.fields(value, 3)
        if items is None:
            return None
        tokens, exact, upper = stored.natural(items[0]), stored.flag(items[1]), items[2]
        if tokens is None or exact is None:
            return None
        if upper is not None and (stored.natural(upper) is None or upper < tokens):
            return None
        return cls(tokens, exact, upper)


ZERO = Count(0)


class Counter:
    """Counts text for one encoding, caching the counts of long-text pieces."""

    # Counts of pieces cut at exact cuts add up to the count of their join.
    additive = True

    def __init__(
        self,
        encoding: str,
        *,
        max_exact: int = EDITOR_MAX_EXACT,
        pure_chars: int = PURE_CHARS,
        expect: Callable[[], int] | None = None,
        engine: EngineChoice | Engine = "auto",
    ) -> None:
        """``engine``: which engine counts (``tokenls.engine.engines``), or an engine object;
        ``pure_chars`` and ``expect`` steer the ``auto`` engine's choice."""
        self.encoding_name = encoding
        self.cache_id = encoding  # names the encoding's counts in content-keyed caches
        self.max_exact = max_exact
        self.engine = make_engine(engine, encoding, pure_chars=pure_chars, expect=expect)
        self._pieces: OrderedDict[str, Count] = OrderedDict()

    @property
    def engines_used(self) -> set[str]:
        """The engines that have counted so far (``tiktoken``, ``pure (Python)``, ...)."""
        return self.engine.used

    def encode_len(self, text: str) -> int:
        """tiktoken's count of ``text``; may raise what tiktoken raises."""
        return self.engine.count(text)

    def encode_lens(self, texts: list[str]) -> list[int]:
        """tiktoken's count of each text; may raise what tiktoken raises."""
        return self.engine.counts(texts)

    def count(self, text: str, *, cache: bool = True) -> Count:
        """Exact count of ``text`` unless it holds an uncuttable run over ``max_exact``."""
        if len(text) <= PIECE_CHARS:
            return self._encode_guarded(text) if text else ZERO
        total = ZERO
        for piece in split_exact(text, PIECE_CHARS):
            total = total + (self._count_piece(piece) if cache else self._count_run(piece))
        return total

    def count_many(self, texts: list[str]) -> list[Count]:
        """``count`` of each text; the short ones are counted in one call."""
        short = [text for text in texts if 0 < len(text) <= PIECE_CHARS]
        counted: dict[str, int] = {}
        if len(short) > 1:
            lens = unless_panic(self.encoding_name, self.encode_lens, short)
            if lens is not None:
                counted = dict(zip(short, lens, strict=True))
        return [Count(counted[text]) if text in counted else self.count(text) for text in texts]

    def count_stream(self, chunks: Iterable[str]) -> Count:
        """Count a stream of text chunks in bounded memory; equal to counting their join."""
        total = ZERO
        step = min(self.max_exact, STREAM_PIECE_CHARS)
        for piece in exact_pieces(chunks, self.max_exact):
            if isinstance(self.engine, AutoEngine):
                self.engine.fast_for(len(piece))  # a big stream: toktok-rs may pay now
            # Pieces of a few hundred KiB encode in one call each (with the GIL released);
            # only a piece that fails to encode is split further.
            for part in split_exact(piece, step):
                counted = self._count_run(part)
                if not counted.exact:
                    counted = self.count(part, cache=False)
                total = total + counted
        return total

    def _count_piece(self, piece: str) -> Count:
        cached = self._pieces.get(piece)
        if cached is not None:
            self._pieces.move_to_end(piece)
            return cached
        result = self._count_run(piece)
        self._pieces[piece] = result
        if len(self._pieces) > _CACHE_PIECES:
            self._pieces.popitem(last=False)
        return result

    def _count_run(self, run: str) -> Count:
        return self._estimate(run) if len(run) > self.max_exact else self._encode_guarded(run)

    def _encode_guarded(self, text: str) -> Count:
        counted = unless_panic(self.encoding_name, self.encode_len, text)
        return self._estimate(text) if counted is None else Count(counted)

    def _estimate(self, run: str) -> Count:
        # Count evenly spaced samples and scale: bounded time however long the run is.
        step = PIECE_CHARS
        starts = range(0, len(run), step)
        if len(starts) > _ESTIMATE_SAMPLES:
            stride = len(starts) / _ESTIMATE_SAMPLES
            starts = [starts[int(i * stride)] for i in range(_ESTIMATE_SAMPLES)]
        sampled = [run[i : i + step] for i in starts]
        tokens = sum(self._encode_sample(piece) for piece in sampled)
        chars = sum(len(piece) for piece in sampled)
        upper = len(run.encode("utf-8", "surrogatepass"))
        return Count(min(round(tokens * len(run) / chars), upper), exact=False, upper=upper)

    def _encode_sample(self, piece: str) -> int:
        counted = unless_panic(self.encoding_name, self.encode_len, piece)
        return len(piece.encode("utf-8", "surrogatepass")) if counted is None else counted


def exact_pieces(chunks: Iterable[str], max_exact: int, min_piece: int = 1 << 20) -> Iterator[str]:
    """Regroup a stream of chunks into pieces of at least ``min_piece`` ending at exact cuts.

    Memory stays bounded: a carried run with no cut is released once it exceeds
    ``max_exact`` (it will be estimated anyway), so no input grows the buffer without end.
    """
    buffer = ""
    for chunk in chunks:
        if not chunk:
            continue
        buffer += chunk
        if len(buffer) < min_piece:
            continue
        cut = last_cut(buffer)
        if cut is not None:
            yield buffer[:cut]
            buffer = buffer[cut:]
        elif len(buffer) > max_exact:
            yield buffer
            buffer = ""
    if buffer:
        yield buffer
