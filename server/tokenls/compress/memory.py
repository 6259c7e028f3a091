"""Which errors were seen before: error shapes remembered across runs, in the disk cache.

A failure that recurs in every CI run is less likely to be the one that broke this run.
Memory is opt-in and only changes ranking (a recurring error is worth less than a new
one), never the text of a kept line, so the output stays a verbatim excerpt of the log.
Shapes (numbers and ids masked), not raw lines, are remembered, so timestamps and ids do
not make an old error look new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from tokenls.cache import stored
from tokenls.cache.token_cache import TokenCache
from tokenls.compress.select import shape

_SEEN_WEIGHT = 0.5


class ErrorMemory:
    def __init__(self, cache: TokenCache) -> None:
        self.cache = cache
        self._seen: dict[str, int] = {}

    def weight(self, line: str) -> float:
        """Below 1 for an error seen in an earlier log, 1 otherwise."""
        return _SEEN_WEIGHT if self.seen(line) else 1.0

    def seen(self, line: str) -> int:
        key = _key(line)
        if key not in self._seen:
            self._seen[key] = stored.natural(self.cache.get(key)[0]) or 0
        return self._seen[key]

    def record(self, failure_lines: Iterable[str]) -> None:
        for key in {_key(line) for line in failure_lines}:
            self.cache.put(key, (stored.natural(self.cache.get(key)[0]) or 0) + 1)


def _key(line: str) -> str:
    return "errmem2:" + hashlib.sha256(shape(line).encode("utf-8", "surrogatepass")).hexdigest()
