"""What tokenls learns about a referenced file's bytes (digest, size, lines, binary, decode
errors), taken in the same pass that counts them, and the key that files those facts under a
file's stat so an unchanged file is never read twice for them."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenls.cache import stored
from tokenls.files.reading import DecodeReport, decode_bytes


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What tokenls learnt about one file's content: its digest, size and line count."""

    digest: str
    size: int
    lines: int
    binary: bool
    decode_errors: bool

    def stored(self) -> list[Any]:
        return [self.digest, self.size, self.lines, self.binary, self.decode_errors]

    @classmethod
    def from_stored(cls, value: Any) -> FileFacts | None:
        """Facts read back from the disk cache, or None when the value is not such facts."""
        items = stored.fields(value, 5)
        if items is None:
            return None
        digest, size, lines = (
            stored.digest(items[0]),
            stored.natural(items[1]),
            stored.natural(items[2]),
        )
        binary, errors = stored.flag(items[3]), stored.flag(items[4])
        if digest is None or size is None or lines is None or binary is None or errors is None:
            return None
        return cls(digest, size, lines, binary, errors)


class FileScan:
    """Digest, size, line count and binary sniff of a byte stream, taken as it passes."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.size = 0
        self.lines = 0
        self.head = b""
        self.last = b""

    def feed(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.digest.update(chunk)
            self.size += len(chunk)
            self.lines += chunk.count(b"\n")
            if len(self.head) < 8192:
                self.head += chunk[: 8192 - len(self.head)]
            if chunk:
                self.last = chunk[-1:]
            yield chunk

    def facts(self) -> FileFacts:
        lines = self.lines + (1 if self.last and self.last != b"\n" else 0)
        report = DecodeReport()
        decode_bytes(self.head, report)
        return FileFacts(
            self.digest.hexdigest(), self.size, lines, b"\0" in self.head, report.replaced
        )


def stat_key(path: Path, info: os.stat_result) -> str:
    return f"stat:{path}:{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"
