"""Which cache directories this user's tokenls made on this machine.

A marker file alone proves nothing: a repository can commit a folder with tokenls's marker
and a database beside it. So the marker carries a seal, an HMAC of the directory's real
path under a key that only this user's own state holds (``$TOKENLS_STATE_DIR``, else the
platform's state directory). A checkout cannot forge it, and a copied or moved folder does
not carry it along.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
import tempfile
from pathlib import Path

STATE_ENV = "TOKENLS_STATE_DIR"
_KEY_NAME = "cache-owner.key"
_KEY_HEX = 64


class SealUnavailable(Exception):
    """The user's key cannot be read or made (an unwritable or foreign state directory)."""


def state_dir() -> Path:
    override = os.environ.get(STATE_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_state_dir("tokenls"))


def seal_for(directory: Path) -> str:
    """The seal a cache directory made by this user's tokenls carries in its marker."""
    real = os.fsencode(os.path.realpath(directory))
    return hmac.new(_user_key(), real, hashlib.sha256).hexdigest()


def _user_key() -> bytes:
    path = state_dir() / _KEY_NAME
    key = _read_key(path)
    if key is None:
        _make_key(path)
        key = _read_key(path)
    if key is None:
        raise SealUnavailable(f"cannot keep the cache owner's key at {path}")
    return key


def _read_key(path: Path) -> bytes | None:
    """The key, if the file is this user's regular file that nobody else may write."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
            return None
        text = os.read(fd, _KEY_HEX + 1).decode("ascii", "replace").strip()
    finally:
        os.close(fd)
    try:
        return bytes.fromhex(text) if len(text) == _KEY_HEX else None
    except ValueError:
        return None


def _make_key(path: Path) -> None:
    """Create the key once; two processes racing keep the first one written (a link never
    replaces an existing file)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tokenls-key-")
    except OSError:
        return
    try:
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(_KEY_HEX // 2))
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
