"""Generated methods compiled once per machine, not once per process.

attrs and ``dataclasses`` write the source of each class's methods (``__init__``,
``__eq__``, ``__repr__``...) and compile it when the class is defined. lsprotocol's 570
attrs classes are half of the 0.3 s the language server spends importing them; the 40
dataclasses a ``tokenls count`` imports are a quarter of its imports. While a block runs,
that compiling is answered from code objects kept on disk, keyed by the SHA-256 of the
exact source, file name and mode (and the file by this Python's bytecode magic number), so
a cached object is the one compiling would return. The file is one of this user's private
files (``tokenls.engine.private_files``); when a library changes how it compiles, nothing is
patched and classes are made as before.
"""

from __future__ import annotations
import __future__

import builtins
import contextlib
import hashlib
import importlib.util
import marshal
from collections.abc import Iterator
from pathlib import Path
from types import CodeType
from typing import Any, Literal

from tokenls import compat

_MAGIC = b"tokenls-code\x02" + importlib.util.MAGIC_NUMBER
# Entries a process did not use are kept (each command defines other classes) until the
# file holds this many; then only what the last writer used.
_KEPT = 8192


Library = Literal["attrs", "dataclasses"]


def cache_path(directory: Path, library: Library) -> Path:
    """One file per library: a command that makes no attrs classes never loads theirs."""
    return directory / f"{library}-code-{importlib.util.MAGIC_NUMBER.hex()}.marshal"


class _Compiled:
    """Code objects by the digest of what they were compiled from."""

    def __init__(self) -> None:
        self.known: dict[bytes, CodeType] = {}
        self.used: set[bytes] = set()
        self.added = 0

    def compile(self, source: str, filename: str, mode: str, flags: int = 0) -> CodeType:
        """``source`` compiled under the ``__future__`` ``flags`` the library's own module
        compiles it with, never under this module's."""
        key = hashlib.sha256(f"{mode}\0{flags}\0{filename}\0{source}".encode()).digest()
        self.used.add(key)
        code = self.known.get(key)
        if code is None:
            code = builtins.compile(source, filename, mode, flags, dont_inherit=True)
            self.known[key] = code
            self.added += 1
        return code

    def attrs_compile(self, source: Any, filename: Any, mode: Any, *args: Any, **kw: Any) -> Any:
        """attrs's ``compile(source, filename, mode)``, which inherits ``attr._make``'s
        ``from __future__ import annotations``; anything else as the builtin."""
        if args or kw or not isinstance(source, str) or not isinstance(filename, str):
            return builtins.compile(source, filename, mode, *args, **kw)
        return self.compile(source, filename, mode, __future__.annotations.compiler_flag)

    def dataclasses_exec(self, source: Any, scope: Any = None, names: Any = None) -> None:
        """dataclasses's ``exec(source, globals, ns)``, with the source compiled once (the
        module has no ``__future__`` imports)."""
        if isinstance(source, str):
            source = self.compile(source, "<string>", "exec")
        builtins.exec(source, scope, names)


@contextlib.contextmanager
def compiled_once(path: Path, library: Library) -> Iterator[None]:
    """Within the block, ``library`` reuses the code compiled in earlier processes (attrs:
    importing it is left to the callers that need it). What the block compiled anew is
    added to the file as it is then, so other processes' entries stay."""
    compiled = _Compiled()
    if library == "attrs":
        patch = compat.attrs_compile(compiled.attrs_compile)
    else:
        patch = compat.dataclasses_exec(compiled.dataclasses_exec)
    with patch as patched:
        if patched:  # else not the version this was written for: it compiles as before
            compiled.known.update(_load(path))
        yield
    if compiled.added:
        from tokenls.engine.private_files import write_private

        entries = {**_load(path), **compiled.known}
        if len(entries) > _KEPT:
            entries = {key: compiled.known[key] for key in compiled.used}
        write_private(path, _MAGIC, marshal.dumps(entries))


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
