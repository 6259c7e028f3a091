"""The language server's protocol types, imported without compiling them again.

lsprotocol defines about 570 attrs classes, and attrs writes the source of each class's
methods (``__init__``, ``__eq__``, ``__repr__``...) and compiles it when the class is
defined: half of the 0.3 s the server spends importing them before it can answer. While
that import runs, attrs's ``compile`` is answered from code objects kept on disk, keyed by
the SHA-256 of the exact source, file name and mode (and the file by this Python's
bytecode magic number), so a cached object is the one ``compile`` would return. The file
is one of this user's private files (``tokenls.engine.private_files``); when attrs changes
how it compiles, nothing is patched and the import simply compiles as before.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import importlib.util
import marshal
from collections.abc import Iterator
from pathlib import Path
from types import CodeType
from typing import Any

from tokenls import compat

_MAGIC = b"tokenls-attrs-code\x01" + importlib.util.MAGIC_NUMBER


def cache_path(directory: Path) -> Path:
    return directory / f"attrs-code-{importlib.util.MAGIC_NUMBER.hex()}.marshal"


@contextlib.contextmanager
def compiled_once(path: Path) -> Iterator[None]:
    """Within the block, attrs reuses the code it compiled in earlier processes."""
    known: dict[bytes, CodeType] = {}
    used: set[bytes] = set()
    added = 0

    def compile_cached(source: Any, filename: Any, mode: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal added
        if args or kwargs or not isinstance(source, str) or not isinstance(filename, str):
            return builtins.compile(source, filename, mode, *args, **kwargs)
        key = hashlib.sha256(f"{mode}\0{filename}\0{source}".encode()).digest()
        used.add(key)
        code = known.get(key)
        if code is None:
            code = known[key] = builtins.compile(source, filename, mode)
            added += 1
        return code

    with compat.attrs_compile(compile_cached) as patched:
        if patched:  # else not the attrs this was written for: it compiles as before
            known.update(_load(path))
        yield
    if patched and (added or len(known) > len(used)):  # what this import used, nothing stale
        from tokenls.engine.private_files import write_private

        write_private(path, _MAGIC, marshal.dumps({k: known[k] for k in used}))


def _load(path: Path) -> dict[bytes, CodeType]:
    from tokenls.engine.private_files import read_private

    payload = read_private(path, _MAGIC)
    if payload is None:
        return {}
    try:
        known = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return {}
    if not isinstance(known, dict):
        return {}
    return {k: v for k, v in known.items() if isinstance(k, bytes) and isinstance(v, CodeType)}
