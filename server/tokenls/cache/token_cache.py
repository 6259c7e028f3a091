"""Token counts that survive restarts: a memory LRU in front of a shared ``diskcache``.

Counts are keyed by content (``encoding`` + SHA-256 of the bytes), so a renamed or copied
file hits the cache and an edited one never returns a stale count. A second, cheap key —
path, size, mtime and inode — maps an unchanged file to its digest without reading it.
Every tokenls process on the machine shares one directory. The disk layer is a cache, never
a source of truth, and it owns only what it made (``tokenls.cache.owned``): when it is
refused, locked by another process or broken beyond repair, tokenls counts from memory.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import diskcache

from tokenls.cache.owned import (
    BUSY_WAIT_S,
    CacheBusy,
    CacheDirRefused,
    CacheUnavailable,
    DiskCache,
    claim_directory,
    refuse_workspaces,
)

log = logging.getLogger("tokenls.cache")
Source = Literal["memory", "disk", "fresh"]
BUSY_PAUSE_S = 2.0  # after a busy wait, how long the disk is left alone before trying again


def default_cache_dir() -> Path:
    override = os.environ.get("TOKENLS_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("tokenls"))


@dataclass(slots=True)
class CacheStats:
    memory_hits: int = 0
    disk_hits: int = 0
    misses: int = 0
    disk_errors: int = 0
    rebuilt: int = 0
    busy: int = 0


class TokenCache:
    """Two-level cache of small values (counts, digests), safe to share across threads."""

    def __init__(
        self,
        directory: Path | None,
        memory_items: int = 8192,
        workspaces: Sequence[Path] = (),
        busy_wait_s: float = BUSY_WAIT_S,
    ) -> None:
        self.directory = directory
        self.stats = CacheStats()
        self.problem: str | None = None  # why the disk is not used, when it is not
        self._memory: OrderedDict[str, Any] = OrderedDict()
        self._memory_items = memory_items
        self._disk = DiskCache(directory, workspaces, busy_wait_s) if directory else None
        self._paused_until = 0.0
        # The memory layer's lock is never held across a disk call (which can wait a second
        # for another process's lock): a memory hit on the event loop never waits behind a
        # worker thread's disk read. Disk calls are serialised by their own lock.
        self._lock = threading.RLock()
        self._disk_lock = threading.RLock()

    @property
    def usable_directory(self) -> Path | None:
        """The directory if the disk layer may be used (other shared state may live there)."""
        if self._disk is None or self.problem is not None:
            return None
        try:
            return claim_directory(self._disk.directory, self._disk.workspaces)
        except (CacheDirRefused, OSError) as exc:
            self._give_up(str(exc))
            return None

    @property
    def workspaces(self) -> tuple[Path, ...]:
        """The folders this cache's directory must not be adopted from."""
        return self._disk.workspaces if self._disk is not None else ()

    def protect(self, workspaces: Sequence[Path]) -> None:
        """Also refuse the directory if it is (or contains) one of ``workspaces``: a cache
        shared by several workspace roots honours every one of them."""
        with self._disk_lock:
            if self._disk is None:
                return
            new = tuple(w for w in workspaces if w not in self._disk.workspaces)
            if not new:
                return
            self._disk.workspaces += new
            if self.problem is None:
                try:
                    refuse_workspaces(self._disk.directory, new)
                except CacheDirRefused as exc:
                    self._disk.close()
                    self._give_up(str(exc))

    def get(self, key: str) -> tuple[Any, Source] | tuple[None, None]:
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                self.stats.memory_hits += 1
                log.debug("hit (memory) %s", key)
                return self._memory[key], "memory"
        value = self._disk_call(lambda disk: disk.get(key))
        with self._lock:
            if value is not None:
                self.stats.disk_hits += 1
                self._remember(key, value)
                log.debug("hit (disk) %s", key)
                return value, "disk"
            self.stats.misses += 1
            log.debug("miss (fresh) %s", key)
            return None, None

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._remember(key, value)
        self._disk_call(lambda disk: disk.set(key, value))

    def put_many(self, items: list[tuple[str, Any]]) -> None:
        """Store many values in one disk transaction (one commit instead of one each)."""
        if not items:
            return
        with self._lock:
            for key, value in items:
                self._remember(key, value)

        def write(disk: diskcache.Cache) -> None:
            with disk.transact():
                for key, value in items:
                    disk.set(key, value)

        self._disk_call(write)

    def clear(self) -> None:
        with self._lock:
            self._memory.clear()
        self._disk_call(lambda disk: disk.clear())

    def close(self) -> None:
        with self._disk_lock:
            if self._disk is not None:
                self._disk.close()

    def describe(self) -> dict[str, Any]:
        return {
            **asdict(self.stats),
            "directory": str(self.directory) if self.directory else None,
            "disk": self._disk is not None and self.problem is None,
            "problem": self.problem,
            "memoryEntries": len(self._memory),
        }

    def _remember(self, key: str, value: Any) -> None:
        self._memory[key] = value
        if len(self._memory) > self._memory_items:
            self._memory.popitem(last=False)

    def _disk_call(self, action: Callable[[diskcache.Cache], Any]) -> Any:
        with self._disk_lock:
            return self._disk_call_locked(action)

    def _disk_call_locked(self, action: Callable[[diskcache.Cache], Any]) -> Any:
        if self._disk is None or self.problem is not None:
            return None
        if time.monotonic() < self._paused_until:
            return None
        try:
            return self._disk.call(action)
        except CacheBusy as exc:
            # Another process holds the lock: count without the disk for a moment.
            self.stats.busy += 1
            self._paused_until = time.monotonic() + BUSY_PAUSE_S
            log.info("tokenls cache at %s is busy (%s); skipping it for now", self.directory, exc)
            return None
        except CacheUnavailable as exc:
            self._give_up(str(exc))
            return None
        finally:
            self.stats.rebuilt = self._disk.repaired

    def _give_up(self, reason: str) -> None:
        self.stats.disk_errors += 1
        self.problem = reason
        log.warning("tokenls: not using the disk cache (%s); counting from memory only", reason)
