"""toktok-rs, an optional Rust byte-pair encoder (``pip install 'tokenls[fast]'``).

It bundles ``cl100k_base`` and ``o200k_base`` and counts 6-14 times faster than tiktoken
here, without building token ids. Its counts equal tiktoken's on every text the tests hold
the two to (the standard library, every fixture, fuzzed text in both encodings), but it is
a young project, so tiktoken stays the reference: a loaded tokenizer must agree with the
pure counter on a probe before it counts anything, and ``TOKENLS_FAST=0`` turns it off.
Loading it costs more than building tiktoken's encoder (``o200k_base``: 0.28 s against
0.17 s), so ``tokenls.engine.counting`` turns to it only for volumes where it pays.
"""

from __future__ import annotations

import functools
import os
import threading
import unicodedata
from collections.abc import Callable
from typing import Any

from tokenls import compat
from tokenls.engine.encodings import get_encoding, rank_table
from tokenls.engine.ordinary import ordinary_count

FAST_ENCODINGS = ("cl100k_base", "o200k_base")
PARALLEL_CHARS = 4 << 20  # a batch this big is spread over every core
_PROBE = "Hello world, héllo 世界! 🙂 It's 2026:\n\tdef f(x): return x**2  # ok\r\n"

_loaded: dict[str, FastCounter | None] = {}
_lock = threading.Lock()


class FastCounter:
    """tiktoken's ``len(encode_ordinary(text))``, from toktok-rs.

    toktok-rs splits text by older Unicode tables than tiktoken's: a character assigned
    since (in CJK Extension J, U+323B0, say) is a letter to tiktoken and nothing to toktok-rs,
    and the counts part. Text holding a character this Python's Unicode database does not
    know (older still than either) is counted by ``exact``, tiktoken."""

    def __init__(self, tokenizer: Any, exact: Callable[[str], int]) -> None:
        self._tokenizer = tokenizer
        self._exact = exact

    def count(self, text: str) -> int:
        if not known_characters(text):
            return self._exact(text)
        try:
            return int(self._tokenizer.count(text))
        except UnicodeEncodeError:
            return int(self._tokenizer.count(_repaired(text)))

    def counts(self, texts: list[str]) -> list[int]:
        threads = 0 if sum(map(len, texts)) >= PARALLEL_CHARS else 1
        try:
            counted = list(self._tokenizer.count_batch(texts, threads, False))
        except UnicodeEncodeError:
            repaired = [_repaired(t) for t in texts]
            counted = list(self._tokenizer.count_batch(repaired, threads, False))
        for i, text in enumerate(texts):
            if not known_characters(text):
                counted[i] = self._exact(text)
        return counted


def known_characters(text: str) -> bool:
    """Whether every character of ``text`` is assigned in this Python's Unicode database
    (ASCII text answers at C speed; other text once per distinct character)."""
    return text.isascii() or not any(map(_unassigned, set(text)))


@functools.cache
def _unassigned(char: str) -> bool:
    return unicodedata.category(char) == "Cn"


def available(name: str) -> bool:
    """Whether toktok-rs may count ``name`` here (installed and not turned off); cheap."""
    if name not in FAST_ENCODINGS or os.environ.get("TOKENLS_FAST", "1").strip() == "0":
        return False
    from importlib.util import find_spec

    return find_spec("toktok") is not None


def loaded(name: str) -> FastCounter | None:
    """The counter if this process has loaded it already (never loads it)."""
    return _loaded.get(name)


def load(name: str) -> FastCounter | None:
    """Load the counter once per process; None when unavailable or when it disagrees with
    the pure counter on the probe (then tiktoken counts)."""
    if name in _loaded:
        return _loaded[name]
    with _lock:
        if name not in _loaded:
            _loaded[name] = _load(name) if available(name) else None
    return _loaded[name]


def _load(name: str) -> FastCounter | None:
    try:
        encoder = compat.toktok_encoder(name)  # the count-only surface, no ids
        if encoder is None:
            return None
        counter = FastCounter(encoder, functools.partial(_tiktoken_count, name))
        probe = counter.count(_PROBE)
    except Exception:
        return None
    from tokenls.engine.pure import PureCounter

    pure = PureCounter.for_table(rank_table(name))
    if pure is None or pure.count(_PROBE) != probe:
        return None
    return counter


def _repaired(text: str) -> str:
    # What tiktoken does with text UTF-8 cannot encode (lone surrogates): U+FFFD in their place.
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _tiktoken_count(name: str, text: str) -> int:
    return ordinary_count(get_encoding(name), text)
