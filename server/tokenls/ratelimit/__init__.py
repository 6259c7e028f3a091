"""A request budget shared by every tokenls process: tracker, stores, header parsing."""

from __future__ import annotations

from pathlib import Path

from tokenls.ratelimit.tracker import Admission, Limits, RateConfig, RateStatus, RateTracker, Store

__all__ = ["Admission", "Limits", "RateConfig", "RateStatus", "RateTracker", "Store", "open_store"]


def open_store(spec: str, cache_dir: Path) -> Store:
    """``"disk"`` (the shared cache directory) or a ``redis://`` URL."""
    if spec.startswith(("redis://", "rediss://", "unix://")):
        from tokenls.ratelimit.store_redis import RedisStore

        return RedisStore(spec)
    from tokenls.ratelimit.store_disk import DiskStore

    return DiskStore(cache_dir)
