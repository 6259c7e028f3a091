"""A diskcache directory that tokenls owns, and nothing else.

A directory is used only if this user's tokenls made it on this machine (its
``.tokenls-cache`` marker carries the user's seal), or it is empty, or it holds nothing but
diskcache's own files outside every workspace (started afresh); a folder of anything else,
a workspace, a folder holding symbolic links, or an unsealed cache a checkout may have
shipped is refused. Values are JSON in the database rows (``tokenls.cache.format``): no
row can run code or name a file. A corrupt database is repaired by deleting diskcache's own files,
never the folder. A database locked by another process is waited for a bounded time (also
while opening, where diskcache itself would retry for a minute) and reported as busy, never
mistaken for corruption. A directory deleted while in use is claimed again.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import re
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import diskcache

from tokenls import compat
from tokenls.cache.format import JsonRowDisk
from tokenls.cache.seal import SealUnavailable, seal_for

log = logging.getLogger("tokenls.cache")
T = TypeVar("T")

MARKER = ".tokenls-cache"
_MARKER_TEXT = "This directory is a cache made by tokenls; it is safe to delete.\n"
_DB_FILES = ("cache.db", "cache.db-wal", "cache.db-shm", "cache.db-journal")
_VALUE_DIR = re.compile(r"[0-9a-f]{2}")
_MARKER_TEMP = re.compile(re.escape(MARKER) + r"\.\d+\.\d+\.tmp")
_VALUE_FILE = re.compile(r"[0-9a-f]{28}\.val")
_OWN_SUBDIRS = ("rate",)  # the shared rate-tracker state
BUSY_WAIT_S = 1.0  # how long one operation waits for another process's lock
_DISK_ERRORS = (sqlite3.Error, OSError, diskcache.Timeout, EOFError, ValueError, KeyError)


class CacheDirRefused(Exception):
    """A cache directory tokenls will not write to, because it may hold someone's files."""


class CacheBusy(Exception):
    """Another process held the cache database's lock for longer than we wait."""


class CacheUnavailable(Exception):
    """The disk cache cannot be used (refused, unwritable, or broken beyond repair)."""


def claim_directory(directory: Path, workspaces: Sequence[Path] = ()) -> Path:
    """The absolute cache directory, created or adopted with its sealed marker, or
    ``CacheDirRefused``.

    A directory is used as it is only when its marker carries this user's seal
    (``tokenls.cache.seal``) and nothing in it is a symbolic link. Otherwise it is adopted
    only when it holds nothing but tokenls's and diskcache's own files: outside every
    workspace (where a checkout cannot have put it) those files are deleted first, so
    nothing written by anyone else is ever read; inside a workspace it is refused and
    left as it is.
    """
    directory = Path(os.path.abspath(os.path.expanduser(directory)))
    refuse_workspaces(directory, workspaces)
    try:
        seal = seal_for(directory)
    except SealUnavailable as exc:
        raise CacheDirRefused(str(exc)) from None
    marker = directory / MARKER
    if _sealed(marker, seal):
        _refuse_links(directory)
        return directory
    if os.path.lexists(directory):
        if not directory.is_dir() or directory.is_symlink():
            raise CacheDirRefused(f"cache directory {directory} is not a directory")
        _refuse_links(directory)
        # Another process's marker being written is no content: it is sealed in a moment.
        entries = [e for e in os.scandir(directory) if not _MARKER_TEMP.fullmatch(e.name)]
        foreign = [entry.name for entry in entries if not _is_own_entry(entry)]
        if foreign and _sealed(marker, seal):  # another process sealed it meanwhile
            return directory
        if foreign:
            raise CacheDirRefused(
                f"cache directory {directory} holds files tokenls did not make "
                f"({', '.join(sorted(foreign)[:3])}…); "
                "set cache_dir to an empty or new directory"
            )
        if entries and not _sealed(marker, seal):  # sealed meanwhile: another process's
            if _inside_any(directory, workspaces):
                raise CacheDirRefused(
                    f"cache directory {directory} was not made by tokenls for this user on "
                    "this machine (a repository can ship such a folder); tokenls does not read "
                    "it. Delete it to let tokenls make its own, or set cache_dir elsewhere"
                )
            log.info("tokenls: starting the unsealed cache in %s afresh", directory)
            remove_database(directory)
    directory.mkdir(parents=True, exist_ok=True)
    _write_marker(marker, seal)
    return directory


def _sealed(marker: Path, seal: str) -> bool:
    """Whether ``marker`` is a regular file (not a link) whose seal line is ``seal``."""
    try:
        fd = os.open(marker, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        text = os.read(fd, 4096).decode("ascii", "replace")
    finally:
        os.close(fd)
    found = re.search(r"^seal: ([0-9a-f]{64})$", text, re.MULTILINE)
    return found is not None and hmac.compare_digest(found.group(1), seal)


def _write_marker(marker: Path, seal: str) -> None:
    """Write the sealed marker atomically: a link planted at its name is replaced, never
    followed."""
    temporary = marker.with_name(f"{MARKER}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(f"{_MARKER_TEXT}seal: {seal}\n")
    os.replace(temporary, marker)


def _refuse_links(directory: Path) -> None:
    """``CacheDirRefused`` when the directory, or one of diskcache's value folders in it,
    holds a symbolic link: writes through it would land outside the cache."""
    links: list[str] = []
    for top in os.scandir(directory):
        if top.is_symlink():
            links.append(top.name)
        elif _VALUE_DIR.fullmatch(top.name) and top.is_dir(follow_symlinks=False):
            for inner in os.scandir(top.path):
                if inner.is_symlink():
                    links.append(f"{top.name}/{inner.name}")
    if links:
        raise CacheDirRefused(
            f"cache directory {directory} holds symbolic links ({', '.join(sorted(links)[:3])}); "
            "tokenls does not use a cache that points elsewhere"
        )


def _inside_any(directory: Path, workspaces: Sequence[Path]) -> bool:
    real = Path(os.path.realpath(directory))
    for workspace in workspaces:
        top = Path(os.path.realpath(workspace))
        if real == top or top in real.parents:
            return True
    return False


def refuse_workspaces(directory: Path, workspaces: Sequence[Path]) -> None:
    """``CacheDirRefused`` when ``directory`` is one of ``workspaces`` or contains one: a
    workspace holds the user's files, whatever marker an older run may have left in it."""
    directory = Path(os.path.abspath(os.path.expanduser(directory)))
    real = Path(os.path.realpath(directory))
    for workspace in workspaces:
        workspace = Path(os.path.realpath(workspace))
        if real == workspace or real in workspace.parents:
            raise CacheDirRefused(
                f"cache directory {directory} is the workspace or contains it; "
                "set cache_dir to a directory of its own"
            )


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
        super().__init__(directory, timeout=busy_wait_s, disk=JsonRowDisk, **settings)



def _bounded_retry(self: _BoundedCache) -> Callable[..., Any]:
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


compat.bound_sql_retry(_BoundedCache, _bounded_retry)


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
