"""Reading a file a setting or a repository names: only a regular file, never blocking.

A FIFO where a config, tokenizer or ignore file is expected would block a plain ``read``
forever (no writer ever comes), and a device such as ``/dev/zero`` never ends. The name is
looked at first, so a special file is never opened; the file is then opened with
``O_NONBLOCK`` and the descriptor itself checked again, in case the name was swapped for a
FIFO in between. Reading stops past ``max_bytes``, so a file growing meanwhile is bounded too.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


class NotRegularFile(OSError):
    """A path that names a FIFO, socket, device or directory instead of a file."""


class FileTooLarge(OSError):
    """A file over the size its reader allows."""


def kind_of(mode: int) -> str:
    """What a non-regular file is, for an error message."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def _check(path: Path | str, info: os.stat_result, max_bytes: int | None = None) -> None:
    if not stat.S_ISREG(info.st_mode):
        reason = f"{kind_of(info.st_mode)}, not a regular file"
        raise NotRegularFile(errno.EINVAL, reason, str(path))
    if max_bytes is not None and info.st_size > max_bytes:
        reason = f"{info.st_size:,} bytes, over the {max_bytes:,}-byte limit"
        raise FileTooLarge(errno.EFBIG, reason, str(path))


def open_regular(path: Path | str, max_bytes: int | None = None) -> BinaryIO:
    """``path`` opened for reading when it is a regular file (symlinks followed), else
    ``NotRegularFile`` (or ``FileTooLarge``) at once. The name is checked before it is
    opened (opening a device can have effects of its own), then the descriptor, opened
    non-blocking, is checked again: a name swapped for a FIFO meanwhile cannot block."""
    _check(path, os.stat(path), max_bytes)
    fd = os.open(path, _FLAGS)
    opened = None
    try:
        _check(path, os.fstat(fd), max_bytes)
        opened = os.fdopen(fd, "rb")
        return opened
    finally:
        if opened is None:  # refused or interrupted: the descriptor is not left open
            os.close(fd)


def read_regular(path: Path | str, max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path`` (``open_regular``), refused past
    ``max_bytes`` even when it grows while read."""
    with open_regular(path, max_bytes) as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        reason = f"grew past the {max_bytes:,}-byte limit while read"
        raise FileTooLarge(errno.EFBIG, reason, str(path))
    return data
