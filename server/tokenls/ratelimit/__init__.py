"""A request budget shared by every tokenls process: tracker, stores, header parsing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tokenls.ratelimit.tracker import Admission, Limits, RateConfig, RateStatus, RateTracker, Store

__all__ = ["Admission", "Limits", "RateConfig", "RateStatus", "RateTracker", "Store", "open_store"]


def open_store(spec: str, cache_dir: Path | None, workspaces: Sequence[Path] = ()) -> Store:
    """``"disk"`` (the shared cache directory) or a ``redis://`` URL; without a usable
    cache directory the budget is kept for this process only. ``workspaces`` are the
    folders the cache directory must not be adopted from (``tokenls.cache.owned``)."""
    if spec.startswith(("redis://", "rediss://", "unix://")):
        from tokenls.ratelimit.store_redis import RedisStore

        return RedisStore(spec)
    from tokenls.ratelimit.store_disk import DiskStore, MemoryStore

    return DiskStore(cache_dir, workspaces) if cache_dir is not None else MemoryStore()
