"""Undoing a response's ``Content-Encoding`` in bounded memory, however it is layered.

A gzip stream of zeros expands about a thousandfold, and codings stack: ``gzip, gzip``
turns one kilobyte on the wire into a gigabyte. httpx inflates each raw chunk in one step,
so a layer below the first hands the next a whole intermediate body at once. Here every
layer inflates at most ``STEP`` bytes at a time and the next consumes them before more
are made, so memory stays a few of those steps deep; no layer may produce more than the
caller's limit in all, so a bomb is refused after a little of it is read. Only ``gzip``
and ``deflate`` are asked for and decoded (``identity`` passes through); a coding tokenls
cannot decode is refused rather than counted as gibberish.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence

ACCEPT = "gzip, deflate"
STEP = 64 * 1024
MAX_LAYERS = 4  # legitimate responses use one; each layer may cost up to the limit


class CodingRefused(Exception):
    """A body whose coding tokenls will not undo: unknown, or too many layers."""


class TooLarge(Exception):
    """A layer of decoding produced more than the limit."""


class Undecodable(Exception):
    """Bytes that are not the coding the response declared."""


class _Inflater:
    """One gzip or deflate layer, emitting at most ``STEP`` bytes per step."""

    def __init__(self, coding: str, limit: int) -> None:
        self.coding = coding
        self.limit = limit
        self.produced = 0
        self.started = False
        wbits = zlib.MAX_WBITS | 16 if coding == "gzip" else zlib.MAX_WBITS
        self.inflater = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while not self.inflater.eof:
            out = self._inflate(data)
            data = self.inflater.unconsumed_tail
            if out:
                self.produced += len(out)
                if self.produced > self.limit:
                    raise TooLarge(self.coding)
                yield out
            if not data and len(out) < STEP:
                return  # the input is used up and nothing is left pending
        # Bytes after the end of the stream are ignored, as httpx does.

    def _inflate(self, data: bytes) -> bytes:
        try:
            out = self.inflater.decompress(data, STEP)
        except zlib.error as exc:
            if self.coding == "deflate" and not self.started:
                # "deflate" is zlib-wrapped by the standard, raw by some servers.
                self.started = True
                self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                return self._inflate(data)
            raise Undecodable(f"{self.coding}: {exc}") from None
        self.started = True
        return out


class Decoded:
    """The fully decoded body of a response, fed its raw chunks in order."""

    def __init__(self, codings: Sequence[str], limit: int) -> None:
        names = [c.strip().lower() for c in codings if c.strip().lower() not in ("", "identity")]
        unknown = [c for c in names if c not in ("gzip", "deflate")]
        if unknown:
            raise CodingRefused(f"Content-Encoding {unknown[0]!r} is not decoded")
        if len(names) > MAX_LAYERS:
            raise CodingRefused(f"{len(names)} layers of Content-Encoding (at most {MAX_LAYERS})")
        # The coding applied last is listed last, so it is undone first.
        self.layers = [_Inflater(c, limit) for c in reversed(names)]

    def feed(self, raw: bytes) -> Iterator[bytes]:
        """The decoded bytes ``raw`` yields, in pieces of at most ``STEP`` bytes."""
        return self._through(0, raw)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self.layers):
            if data:
                yield data
            return
        for piece in self.layers[index].feed(data):
            yield from self._through(index + 1, piece)
