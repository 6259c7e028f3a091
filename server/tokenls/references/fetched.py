"""A URL's body as fetched or cached, and the cache entries it is kept in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tokenls.cache import stored

Source = Literal["cache", "fresh", "revalidated", "stale"]


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str
    text: str = ""
    error: str | None = None
    source: Source | None = None
    fetched_at: float = 0.0
    size: int = 0
    rate_limited: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def stale(self) -> bool:
        return self.source == "stale"


def valid_entry(entry: Any) -> dict[str, Any] | None:
    """A cached body as written, or None when the stored value is not one (refetched)."""
    if type(entry) is not dict or type(entry.get("text")) is not str:
        return None
    if stored.moment(entry.get("fetched_at")) is None or stored.natural(entry.get("size")) is None:
        return None
    if any(entry.get(name) is not None and type(entry[name]) is not str for name in _VALIDATORS):
        return None
    return entry


_VALIDATORS = ("etag", "last_modified")


def from_entry(url: str, entry: Mapping[str, Any], source: Source) -> Fetched:
    return Fetched(url, entry["text"], None, source, entry["fetched_at"], entry["size"])


def stale_or(entry: Mapping[str, Any] | None, url: str, failed: Fetched) -> Fetched:
    """The last known body, flagged stale, when there is one; else the failure."""
    if entry:
        return from_entry(url, entry, "stale")
    return Fetched(url, error=failed.error, rate_limited=failed.rate_limited)


def rate_limited(key: str, why: str, wait_s: float) -> Fetched:
    return Fetched(
        key,
        error=f"rate limited ({why}): next request to {key} allowed in {wait_s:.0f} s; not fetched",
        rate_limited=True,
    )
