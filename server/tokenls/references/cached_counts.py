"""Counts filed in the token cache by the digest of the text counted: an exact count serves
every counter of the encoding, an estimate only the exactness limit it was made under."""

from __future__ import annotations

from tokenls.cache.token_cache import Source, TokenCache
from tokenls.engine.counting import Count, Counter


def count_key(counter_id: str, digest: str, max_exact: int | None = None) -> str:
    """The key of a count: the counter's ``cache_id`` (its encoding, or the digest of its
    tokenizer file), the digest of the bytes counted, and for an estimate the exactness
    limit it was made under."""
    base = f"count:{counter_id}:{digest}"
    return base if max_exact is None else f"{base}:estimate-over-{max_exact}"


def cached_count(cache: TokenCache, counter: Counter, digest: str) -> tuple[Count, Source] | None:
    """A stored count of the text with this digest: an exact one (valid for every counter),
    else an estimate made under this counter's own exactness limit, never another's."""
    for key in (
        count_key(counter.cache_id, digest),
        count_key(counter.cache_id, digest, counter.max_exact),
    ):
        cached, source = cache.get(key)
        count = Count.from_stored(cached)
        if count is not None and source is not None:
            return count, source
    return None


def store_count(cache: TokenCache, counter: Counter, digest: str, count: Count) -> None:
    limit = None if count.exact else counter.max_exact
    cache.put(count_key(counter.cache_id, digest, limit), count.stored())
