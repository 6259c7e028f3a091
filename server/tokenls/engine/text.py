"""Lines and positions as the Language Server Protocol defines them.

Line breaks are ``\\n``, ``\\r\\n`` and ``\\r`` only (not ``str.splitlines``'s wider set), and a
column counts code units of the negotiated position encoding: UTF-16 (VS Code), UTF-8
(Neovim 0.11) or UTF-32.
"""

from __future__ import annotations

import re
from typing import Literal

PositionEncoding = Literal["utf-8", "utf-16", "utf-32"]

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def split_lines(text: str) -> list[str]:
    """Lines with their line breaks kept; ``''.join`` gives ``text`` back."""
    return _LINE.findall(text)


def line_body(line: str) -> str:
    """A line without its line break."""
    return line.rstrip("\r\n")


def column_to_index(line: str, column: int, encoding: PositionEncoding) -> int:
    """Python string index of an LSP column in ``line``, clamped to the line's body."""
    body = line_body(line)
    column = max(column, 0)
    if encoding == "utf-32" or body.isascii():
        return min(column, len(body))
    units = 0
    for index, char in enumerate(body):
        if units >= column:
            return index
        units += _units(char, encoding)
    return len(body)


def index_to_column(line: str, index: int, encoding: PositionEncoding) -> int:
    """LSP column of a Python string index in ``line``."""
    prefix = line[: max(index, 0)]
    if encoding == "utf-32" or prefix.isascii():
        return len(prefix)
    if encoding == "utf-16":
        return len(prefix.encode("utf-16-le", "surrogatepass")) // 2
    return len(prefix.encode("utf-8", "surrogatepass"))


def _units(char: str, encoding: PositionEncoding) -> int:
    code = ord(char)
    if encoding == "utf-16":
        return 2 if code > 0xFFFF else 1
    return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
