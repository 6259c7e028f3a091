"""Token counts that survive restarts: a memory LRU in front of a shared ``diskcache``.

Counts are keyed by content (``encoding`` + SHA-256 of the bytes), so a renamed or copied
file hits the cache and an edited one never returns a stale count. A second, cheap key —
path, size, mtime and inode — maps an unchanged file to its digest without reading it.
Every tokenls process on the machine shares one directory. The disk layer is a cache, never
a source of truth: when it is deleted or corrupt it is moved aside and rebuilt, and if even
that fails tokenls keeps counting from memory alone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import diskcache

log = logging.getLogger("tokenls.cache")
Source = Literal["memory", "disk", "fresh"]
_DISK_ERRORS = (sqlite3.Error, OSError, diskcache.Timeout, EOFError, ValueError, KeyError)


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


class TokenCache:
    """Two-level cache of small values (counts, digests), safe to share across threads."""

    def __init__(self, directory: Path | None, memory_items: int = 8192) -> None:
        self.directory = directory
        self.stats = CacheStats()
        self._memory: OrderedDict[str, Any] = OrderedDict()
        self._memory_items = memory_items
        self._disk: diskcache.Cache | None = None
        self._disk_failed = directory is None
        self._lock = threading.RLock()

    def get(self, key: str) -> tuple[Any, Source] | tuple[None, None]:
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                self.stats.memory_hits += 1
                return self._memory[key], "memory"
            value = self._disk_call(lambda disk: disk.get(key))
            if value is not None:
                self.stats.disk_hits += 1
                self._remember(key, value)
                return value, "disk"
            self.stats.misses += 1
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
        with self._lock:
            if self._disk is not None:
                self._disk.close()
                self._disk = None

    def describe(self) -> dict[str, Any]:
        return {
            **asdict(self.stats),
            "directory": str(self.directory) if self.directory else None,
            "disk": not self._disk_failed,
            "memoryEntries": len(self._memory),
        }

    def _remember(self, key: str, value: Any) -> None:
        self._memory[key] = value
        if len(self._memory) > self._memory_items:
            self._memory.popitem(last=False)

    def _disk_call(self, action: Any) -> Any:
        for attempt in range(2):
            disk = self._open_disk()
            if disk is None:
                return None
            try:
                return action(disk)
            except _DISK_ERRORS as exc:
                self.stats.disk_errors += 1
                log.warning("tokenls cache at %s failed (%s); rebuilding it", self.directory, exc)
                if attempt == 0:
                    self._rebuild()
        self._disk_failed = True
        log.warning("tokenls cache disabled for this session; counting from memory only")
        return None

    def _open_disk(self) -> diskcache.Cache | None:
        if self._disk is not None or self._disk_failed:
            return self._disk
        assert self.directory is not None
        try:
            self._disk = diskcache.Cache(str(self.directory), timeout=2, size_limit=2**30)
        except _DISK_ERRORS as exc:
            log.warning("cannot open tokenls cache at %s (%s); rebuilding it", self.directory, exc)
            self._rebuild()
            try:
                self._disk = diskcache.Cache(str(self.directory), timeout=2, size_limit=2**30)
            except _DISK_ERRORS:
                self._disk_failed = True
        return self._disk

    def _rebuild(self) -> None:
        # Move the broken directory aside (another process may still hold it), then start
        # afresh; a failure here only means memory-only caching.
        self.stats.rebuilt += 1
        if self._disk is not None:
            with contextlib.suppress(_DISK_ERRORS):
                self._disk.close()
            self._disk = None
        assert self.directory is not None
        if self.directory.exists():
            aside = self.directory.with_name(
                f"{self.directory.name}.broken-{os.getpid()}-{time.time_ns()}"
            )
            try:
                self.directory.rename(aside)
                shutil.rmtree(aside, ignore_errors=True)
            except OSError:
                shutil.rmtree(self.directory, ignore_errors=True)
