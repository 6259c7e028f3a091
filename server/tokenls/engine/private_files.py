"""Files a process writes for later processes of the same user to read back quickly.

Parsed rank tables and compiled code are loaded with ``marshal``, which trusts its input,
so such a file is read only when it belongs to this user, no one else may write it, and
its payload matches the SHA-256 in its header; anything else reads as missing and is
rebuilt. Writes are atomic (a private temporary file, then a rename).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

_DIGEST_BYTES = 32


def read_private(path: Path, magic: bytes) -> memoryview | None:
    """The payload stored at ``path``, or None when it is missing, foreign or damaged."""
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if info.st_uid != os.getuid() or info.st_mode & 0o022:
                return None  # someone else could have written it: never read it
            blob = handle.read()
    except OSError:
        return None
    head = len(magic) + _DIGEST_BYTES
    if not blob.startswith(magic) or len(blob) <= head:
        return None
    payload = memoryview(blob)[head:]
    if hashlib.sha256(payload).digest() != blob[len(magic) : head]:
        return None
    return payload


def write_private(path: Path, magic: bytes, payload: bytes) -> None:
    """Store ``payload``; a directory that cannot be written only means it is rebuilt."""
    import tempfile  # only writers need it

    blob = magic + hashlib.sha256(payload).digest() + payload
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tokenls-")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(blob)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def private_dir() -> Path:
    """Where this user's private files live (``TOKENLS_ENCODINGS_DIR`` overrides): beside
    the token cache, never inside it (that directory belongs to the cache alone)."""
    override = os.environ.get("TOKENLS_ENCODINGS_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("tokenls-encodings"))
