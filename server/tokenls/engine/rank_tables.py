"""Rank tables that load in milliseconds: a parsed copy of a rank file, kept on disk.

Parsing a ``.tiktoken`` rank file (gunzip, split, base64-decode 200,000 lines) takes a
tenth of a second, and every ``tokenls`` process used to pay it. The parsed table is
written once to a directory of its own and read back with ``marshal``
(``tokenls.engine.private_files``: this user's, unwritable by others, checked by digest).
The file is named by the SHA-256 of the packaged rank data, so new data never meets an old
table.
The table keeps its tokens sorted, so a lookup is a binary search: small texts can be
counted without building a dict of 200,000 entries (``tokenls.engine.pure``).
"""

from __future__ import annotations

import marshal
from array import array
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tokenls.engine.private_files import read_private, write_private

_MAGIC = b"tokenls-ranks\x01"


@dataclass(frozen=True, slots=True)
class RankTable:
    """Tokens (sorted bytes) and their ranks; ``source_sha256`` is tiktoken's expected hash
    of the rank file the table was parsed from."""

    name: str
    source_sha256: str
    tokens: list[bytes]
    ranks: array[int]

    @classmethod
    def of(cls, name: str, source_sha256: str, ranks: Mapping[bytes, int]) -> RankTable:
        tokens = sorted(ranks)
        return cls(name, source_sha256, tokens, array("I", (ranks[t] for t in tokens)))

    def get(self, token: bytes, default: int | float | None = None) -> int | float | None:
        tokens = self.tokens
        i = bisect_left(tokens, token)
        if i < len(tokens) and tokens[i] == token:
            return self.ranks[i]
        return default

    def __getitem__(self, token: bytes) -> int:
        rank = self.get(token)
        if rank is None:
            raise KeyError(token)
        return int(rank)

    def as_dict(self) -> dict[bytes, int]:
        """The mapping tiktoken's encoder is built from."""
        return dict(zip(self.tokens, self.ranks, strict=True))


def table_path(directory: Path, name: str, data_sha256: str) -> Path:
    return directory / f"{name}-{data_sha256[:32]}.ranks"


def load_table(path: Path, name: str) -> RankTable | None:
    """The table stored at ``path``, or None when it is missing, foreign or damaged."""
    payload = read_private(path, _MAGIC)
    if payload is None:
        return None
    try:
        stored_name, source_sha256, tokens, packed_ranks = marshal.loads(payload)
        ranks = array("I")
        ranks.frombytes(packed_ranks)
    except (ValueError, EOFError, TypeError):
        return None
    if stored_name != name or not isinstance(tokens, list) or len(tokens) != len(ranks):
        return None
    return RankTable(name, str(source_sha256), tokens, ranks)


def store_table(path: Path, table: RankTable) -> None:
    """Write ``table`` for later processes; failing to only means they parse again."""
    payload = marshal.dumps((table.name, table.source_sha256, table.tokens, table.ranks.tobytes()))
    write_private(path, _MAGIC, payload)
