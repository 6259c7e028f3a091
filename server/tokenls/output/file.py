"""Writing an output file the way a careful ``>`` redirect would, but atomically.

The text goes to a temporary file beside the target, which is then renamed over it: a
kill mid-write leaves the old file (or none), never half a file. The result has the mode a
plain redirect gives — an existing file keeps its mode, a new one gets ``0666 & ~umask`` —
and a symlink is written through, not replaced. Devices and FIFOs (``-o /dev/null``) are
written in place: renaming over them would replace the device.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from tokenls.output.terminal import UsageError


def write_output(target: str, text: str) -> None:
    """Write ``text`` (UTF-8, line ends as given) to ``target``; ``UsageError`` says why not.
    The bytes are those standard output would get (a name's non-UTF-8 bytes as they were)."""
    path = Path(os.path.realpath(target))
    try:
        existing = os.stat(path)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise UsageError(f"cannot write: {exc.strerror or exc}", target) from None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise UsageError("cannot write: is a directory", target)
    if not path.parent.is_dir():
        raise UsageError(f"cannot write: no such directory {path.parent}", target)
    try:
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="") as handle:
                handle.write(text)
            return
        mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~_umask()
        _replace(path, text, mode)
    except OSError as exc:
        raise UsageError(f"cannot write: {exc.strerror or exc}", target) from None


def _replace(path: Path, text: str, mode: int) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    replaced = False
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
        replaced = True
    finally:
        if not replaced:  # whatever stopped it, even an interrupt: no temporary file left
            Path(temp).unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it
    os.umask(mask)
    return mask
