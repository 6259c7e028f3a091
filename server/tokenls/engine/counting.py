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
from typing import TYPE_CHECKING, Any

from tokenls.cache import stored
from tokenls.engine import count_helper, fast
from tokenls.engine.cuts import last_cut, split_exact
from tokenls.engine.encodings import building, built_encoding, get_encoding, rank_table

if TYPE_CHECKING:
    import tiktoken

    from tokenls.engine.fast import FastCounter
    from tokenls.engine.pure import PureCounter

PIECE_CHARS = 4096
EDITOR_MAX_EXACT = 64 * 1024
BATCH_MAX_EXACT = 1024 * 1024
_CACHE_PIECES = 4096
STREAM_PIECE_CHARS = 256 * 1024
_ESTIMATE_SAMPLES = 16
# Characters counted in Python before tiktoken's encoder is built (its ~0.1 s build is worth
# it past this): a short log or prompt never builds it.
PURE_CHARS = 64 * 1024
# Mean text length past which tiktoken's parallel batch beats one call per text.
BATCH_TEXT_CHARS = PIECE_CHARS
# Text past which loading toktok-rs (``tokenls.engine.fast``) pays for itself: about where
# its faster counting makes up its slower load when nothing is built yet (0.3 MB for
# cl100k_base, 2 MB for o200k_base here), and when tiktoken's encoder is built already.
FAST_CHARS = 1 << 20
FAST_OVER_BUILT_CHARS = 8 << 20
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
    ) -> None:
        """``expect``: how much text the caller is about to count, asked once when the
        first text needs an engine, so the fastest one for that volume is chosen."""
        self.encoding_name = encoding
        self.cache_id = encoding  # names the encoding's counts in content-keyed caches
        self.max_exact = max_exact
        self._enc: tiktoken.Encoding | None = None  # loaded on first use: cached runs skip it
        self._fast: FastCounter | None = None
        self._fast_possible: bool | None = None  # unknown until a volume asks for it
        self._expect = expect
        self._expected = 0
        self._pure: PureCounter | None = None
        self._pure_left = pure_chars  # what may still be counted before building tiktoken
        self._pieces: OrderedDict[str, Count] = OrderedDict()
        self._engines: set[str] = set()  # the engines that have counted, each logged once

    def _engine(self, name: str) -> None:
        """Log the first count by each engine (``TOKENLS_LOG=debug``): which one counted."""
        if name not in self._engines:
            self._engines.add(name)
            log.debug("%s counted by %s", self.encoding_name, name)

    def encode_len(self, text: str) -> int:
        """tiktoken's count of ``text``; may raise what tiktoken raises."""
        counter = self._fast or self._fast_for(len(text))
        if counter is not None:
            self._engine("fast (toktok-rs)")
            return counter.count(text)
        enc = self._enc
        if enc is None and (enc := built_encoding(self.encoding_name)) is not None:
            self._enc = enc  # another part of the process built it: no reason to wait
        if enc is None:
            # The start-up helper has the encoder built; counting in Python would first
            # have to load the rank table.
            if helped := count_helper.counts(self.encoding_name, [text]):
                self._engine("tiktoken (start-up helper)")
                return helped[0]
            if not building(self.encoding_name):
                counted = self._pure_count(text)
                if counted is not None:
                    self._engine("pure (Python)")
                    return counted
        self._engine("tiktoken")
        return len(self._encoding().encode_ordinary(text))

    def encode_lens(self, texts: list[str]) -> list[int]:
        """tiktoken's count of each text; may raise what tiktoken raises.

        Short texts (a log's lines) are encoded one call each: tiktoken's batch API spends
        more on its thread pool than on them. Only long texts are worth a parallel batch.
        """
        chars = sum(map(len, texts))
        counter = self._fast or self._fast_for(chars)
        if counter is not None:
            self._engine("fast (toktok-rs)")
            return counter.counts(texts)
        if self._enc is None:
            self._enc = built_encoding(self.encoding_name)
        if self._enc is None and (helped := count_helper.counts(self.encoding_name, texts)):
            self._engine("tiktoken (start-up helper)")
            return helped
        if self._enc is None and chars <= self._pure_left and not building(self.encoding_name):
            counts = [self._pure_count(text) for text in texts]
            if None not in counts:
                self._engine("pure (Python)")
                return counts  # type: ignore[return-value]
        self._engine("tiktoken")
        enc = self._encoding()
        if chars < BATCH_TEXT_CHARS * len(texts):
            encode = enc.encode_ordinary
            return [len(encode(text)) for text in texts]
        return [len(ids) for ids in enc.encode_ordinary_batch(texts)]

    def _fast_for(self, chars: int) -> FastCounter | None:
        """toktok-rs when this process has loaded it, or when the text at hand (or what the
        caller expects) is enough for its load to pay. Every engine choice starts here, so
        this is where the caller's expectation is asked for."""
        if self._expect is not None:
            self._expected, self._expect = self._expect(), None
            if self._expected > self._pure_left:
                self._pure_left = 0
        if self._fast_possible is False:
            return None
        name = self.encoding_name
        counter = fast.loaded(name)
        if counter is None:
            building_done = (
                self._enc is not None or built_encoding(name) is not None or count_helper.active()
            )
            if max(chars, self._expected) < (
                FAST_OVER_BUILT_CHARS if building_done else FAST_CHARS
            ):
                return None
            counter = fast.load(name)
            if counter is None:
                self._fast_possible = False
                return None
        self._fast = counter
        return counter

    def _encoding(self) -> tiktoken.Encoding:
        if self._enc is None:
            self._enc = get_encoding(self.encoding_name)
        return self._enc

    def _pure_count(self, text: str) -> int | None:
        if len(text) > self._pure_left:
            return None
        pure = self._pure
        if pure is None:
            from tokenls.engine.pure import PureCounter

            pure = PureCounter.for_table(rank_table(self.encoding_name))
            if pure is None:
                self._pure_left = 0
                return None
            self._pure = pure
        counted = pure.count(text)
        self._pure_left -= len(text)
        return counted

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
            try:
                counted = dict(zip(short, self.encode_lens(short), strict=True))
            except BaseException as exc:  # tiktoken panics (a BaseException) on some runs
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
        return [Count(counted[text]) if text in counted else self.count(text) for text in texts]

    def count_stream(self, chunks: Iterable[str]) -> Count:
        """Count a stream of text chunks in bounded memory; equal to counting their join."""
        total = ZERO
        step = min(self.max_exact, STREAM_PIECE_CHARS)
        for piece in exact_pieces(chunks, self.max_exact):
            if self._fast is None:
                self._fast_for(len(piece))
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
        try:
            return Count(self.encode_len(text))
        except BaseException as exc:  # tiktoken panics (a BaseException) on some runs
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            return self._estimate(text)

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
        try:
            return self.encode_len(piece)
        except BaseException as exc:  # even a 4 KiB piece is guarded; bytes bound it
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            return len(piece.encode("utf-8", "surrogatepass"))


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
