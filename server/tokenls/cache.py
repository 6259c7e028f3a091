"""Token counts that survive restarts: a memory LRU in front of a shared ``diskcache``.

Counts are keyed by content (``encoding`` + SHA-256 of the bytes), so a renamed or copied
file hits the cache and an edited one never returns a stale count. A second, cheap key —
path, size, mtime and inode — maps an unchanged file to its digest without reading it.
Every tokenls process on the machine shares one directory.

The disk layer is a cache, never a source of truth, and it owns only what it made:

- a directory is used only if tokenls created it (it holds the ``.tokenls-cache`` marker),
  or it is empty, or it holds nothing but diskcache's own files; a folder of anything else,
  or a workspace, is refused and tokenls counts from memory;
- a corrupt database is repaired by deleting diskcache's own files in it, never the folder;
- a database locked by another process is waited for a bounded time, then skipped for a
  moment (counting goes on without the disk), never mistaken for corruption;
- a directory deleted while tokenls runs is created again on the next write.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import diskcache

log = logging.getLogger("tokenls.cache")
Source = Literal["memory", "disk", "fresh"]
T = TypeVar("T")

MARKER = ".tokenls-cache"
_MARKER_TEXT = "This directory is a cache made by tokenls; it is safe to delete.\n"
_DB_FILES = ("cache.db", "cache.db-wal", "cache.db-shm", "cache.db-journal")
_VALUE_DIR = re.compile(r"[0-9a-f]{2}")
_VALUE_FILE = re.compile(r"[0-9a-f]{28}\.val")
_OWN_SUBDIRS = ("rate",)  # the shared rate-tracker state
BUSY_WAIT_S = 1.0  # how long one operation waits for another process's lock
BUSY_PAUSE_S = 2.0  # after that, how long the disk is left alone before trying again
_DISK_ERRORS = (sqlite3.Error, OSError, diskcache.Timeout, EOFError, ValueError, KeyError)


class CacheDirRefused(Exception):
    """A cache directory tokenls will not write to, because it may hold someone's files."""


class CacheBusy(Exception):
    """Another process held the cache database's lock for longer than we wait."""


class CacheUnavailable(Exception):
    """The disk cache cannot be used (refused, unwritable, or broken beyond repair)."""


def default_cache_dir() -> Path:
    override = os.environ.get("TOKENLS_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("tokenls"))


def claim_directory(directory: Path, workspaces: Sequence[Path] = ()) -> Path:
    """The absolute cache directory, created or adopted with its marker, or ``CacheDirRefused``.

    A directory is adopted when it is empty or holds only what diskcache itself writes
    (a cache from before the marker existed); anything else may be a user's folder.
    """
    directory = Path(os.path.abspath(os.path.expanduser(directory)))
    real = Path(os.path.realpath(directory))
    for workspace in workspaces:
        workspace = Path(os.path.realpath(workspace))
        if real == workspace or real in workspace.parents:
            raise CacheDirRefused(
                f"cache directory {directory} is the workspace or contains it; "
                "set cache_dir to a directory of its own"
            )
    marker = directory / MARKER
    if marker.is_file():
        return directory
    if directory.exists():
        if not directory.is_dir():
            raise CacheDirRefused(f"cache directory {directory} is not a directory")
        foreign = [entry.name for entry in os.scandir(directory) if not _is_own_entry(entry)]
        if foreign:
            raise CacheDirRefused(
                f"cache directory {directory} holds files tokenls did not make "
                f"({', '.join(sorted(foreign)[:3])}…) and no {MARKER} marker; "
                "set cache_dir to an empty or new directory"
            )
    directory.mkdir(parents=True, exist_ok=True)
    marker.write_text(_MARKER_TEXT, encoding="utf-8")
    return directory


def _is_own_entry(entry: os.DirEntry[str]) -> bool:
    if entry.is_file(follow_symlinks=False):
        return entry.name in _DB_FILES or entry.name == MARKER
    if entry.is_dir(follow_symlinks=False):
        return entry.name in _OWN_SUBDIRS or bool(_VALUE_DIR.fullmatch(entry.name))
    return False


def remove_database(directory: Path) -> None:
    """Delete diskcache's own files in ``directory`` (database and value files), nothing else."""
    for name in _DB_FILES:
        with contextlib.suppress(FileNotFoundError):
            (directory / name).unlink()
    for outer in _own_value_dirs(directory):
        for inner in _own_value_dirs(outer):
            for entry in os.scandir(inner):
                if entry.is_file(follow_symlinks=False) and _VALUE_FILE.fullmatch(entry.name):
                    os.unlink(entry.path)
            _rmdir_if_empty(inner)
        _rmdir_if_empty(outer)


def _own_value_dirs(directory: Path) -> list[Path]:
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    return [
        Path(e.path)
        for e in entries
        if e.is_dir(follow_symlinks=False) and _VALUE_DIR.fullmatch(e.name)
    ]


def _rmdir_if_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):
        directory.rmdir()


def failure_kind(exc: BaseException) -> Literal["busy", "corrupt", "other"]:
    """Lock contention, a damaged database, or anything else (permissions, a full disk)."""
    if isinstance(exc, diskcache.Timeout):
        return "busy"
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            return "busy"
        if "malformed" in text or "not a database" in text:
            return "corrupt"
        return "other"
    if isinstance(exc, sqlite3.DatabaseError | EOFError):
        return "corrupt"  # "file is not a database", "database disk image is malformed"
    return "other"


class _BoundedCache(diskcache.Cache):
    """diskcache retries statements outside transactions (opening, settings) for up to 60 s
    while another process holds the lock; tokenls waits only ``busy_wait_s``."""

    def __init__(self, directory: str, busy_wait_s: float, **settings: Any) -> None:
        self._busy_wait_s = busy_wait_s
        super().__init__(directory, timeout=busy_wait_s, **settings)

    @property
    def _sql_retry(self) -> Callable[..., Any]:
        sql = self._sql
        deadline = time.monotonic() + self._busy_wait_s

        def execute(statement: str, *args: Any, **kwargs: Any) -> Any:
            while True:
                try:
                    return sql(statement, *args, **kwargs)
                except sqlite3.OperationalError as exc:
                    if failure_kind(exc) != "busy" or time.monotonic() > deadline:
                        raise
                    time.sleep(0.005)

        return execute


class DiskCache:
    """One diskcache directory tokenls owns; every operation either succeeds or raises
    ``CacheBusy`` (try again later) or ``CacheUnavailable`` (give up on the disk)."""

    def __init__(
        self,
        directory: Path,
        workspaces: Sequence[Path] = (),
        busy_wait_s: float = BUSY_WAIT_S,
        size_limit: int = 2**30,
    ) -> None:
        self.directory = directory
        self.workspaces = tuple(workspaces)
        self.busy_wait_s = busy_wait_s
        self.size_limit = size_limit
        self.repaired = 0
        self._disk: diskcache.Cache | None = None
        self._marker: Path | None = None

    def call(self, action: Callable[[diskcache.Cache], T]) -> T:
        for attempt in range(2):
            disk = self._open()
            try:
                return action(disk)
            except _DISK_ERRORS as exc:
                kind = failure_kind(exc)
                if kind == "busy":
                    raise CacheBusy(str(exc) or "database is locked") from None
                self.close()
                if self._marker is not None and not self._marker.exists():
                    continue  # the directory was deleted under us: claim it again
                if kind == "corrupt" and attempt == 0:
                    self._repair(exc)
                    continue
                raise CacheUnavailable(f"{type(exc).__name__}: {exc}") from None
        raise CacheUnavailable("the cache failed again after being rebuilt")

    def close(self) -> None:
        if self._disk is not None:
            with contextlib.suppress(_DISK_ERRORS):
                self._disk.close()
            self._disk = None

    def _open(self) -> diskcache.Cache:
        if self._disk is not None and self._marker is not None and self._marker.exists():
            return self._disk
        self.close()
        try:
            directory = claim_directory(self.directory, self.workspaces)
        except CacheDirRefused as exc:
            raise CacheUnavailable(str(exc)) from None
        except OSError as exc:
            raise CacheUnavailable(f"cannot create {self.directory}: {exc}") from None
        self._marker = directory / MARKER
        for attempt in range(2):
            try:
                self._disk = _BoundedCache(
                    str(directory), self.busy_wait_s, size_limit=self.size_limit
                )
                return self._disk
            except _DISK_ERRORS as exc:
                kind = failure_kind(exc)
                if kind == "busy":
                    raise CacheBusy(str(exc) or "database is locked") from None
                if kind == "corrupt" and attempt == 0:
                    self._repair(exc)
                    continue
                raise CacheUnavailable(f"{type(exc).__name__}: {exc}") from None
        raise CacheUnavailable("the cache database cannot be rebuilt")

    def _repair(self, exc: BaseException) -> None:
        log.warning(
            "tokenls cache database in %s is damaged (%s); rebuilding it", self.directory, exc
        )
        self.repaired += 1
        self.close()
        try:
            remove_database(Path(os.path.abspath(self.directory)))
        except OSError as error:
            raise CacheUnavailable(f"cannot remove the damaged database: {error}") from None


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
        self._lock = threading.RLock()

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

    def clear(self) -> None:
        with self._lock:
            self._memory.clear()
            self._disk_call(lambda disk: disk.clear())

    def close(self) -> None:
        with self._lock:
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
