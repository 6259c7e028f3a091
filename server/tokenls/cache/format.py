"""How cached values are stored on disk: JSON text in the database row, nothing else.

diskcache's own ``Disk`` unpickles values (and keys) and reads and deletes the files its
rows name, so a database written by anyone else could run code or delete files outside
the cache. ``JsonRowDisk`` stores every value as JSON text inside its row (never pickle,
never a value file) and reads back only rows of that shape: a row of any other mode, a
row naming a file, or text that is not JSON reads as a miss, which the next write repairs.
Values are plain data (numbers, strings, lists, dicts); each reader still checks the shape
it expects, since a row is data, not a promise.
"""

from __future__ import annotations

import json
import logging
import os
import re
from typing import Any

import diskcache
from diskcache.core import MODE_RAW, UNKNOWN

log = logging.getLogger("tokenls.cache")

MAX_VALUE_CHARS = 64 * 2**20  # a row longer than this is not one tokenls wrote: a miss
_ESCAPED_KEY = "\0json:"  # a key that UTF-8 cannot hold (a lone surrogate) is stored escaped
_VALUE_FILE = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{28}\.val")


class JsonRowDisk(diskcache.Disk):
    """A ``diskcache.Disk`` that keeps JSON text in the row and never unpickles."""

    def __init__(self, directory: str, **_settings: Any) -> None:
        # ``disk_*`` settings read from the database (min_file_size, pickle_protocol) have
        # no meaning here: nothing is pickled and nothing goes to a file.
        super().__init__(directory)

    def put(self, key: Any) -> tuple[str, bool]:
        if type(key) is not str:
            raise TypeError(f"cache keys are strings, not {type(key).__name__}")
        try:
            key.encode("utf-8")
        except UnicodeEncodeError:
            key = _ESCAPED_KEY + json.dumps(key)
        return key, True

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:  # a pickled key: tokenls never writes one
            raise ValueError("the cache holds a key tokenls did not write")
        return key

    def store(self, value: Any, read: bool, key: Any = UNKNOWN) -> tuple[int, int, None, str]:
        if read:
            raise TypeError("values are stored as data, not read from a file")
        text = json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
        return 0, MODE_RAW, None, text

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if mode != MODE_RAW or filename is not None or type(value) is not str or read:
            log.info("tokenls cache: ignoring a row tokenls did not write (mode %s)", mode)
            return None
        if len(value) > MAX_VALUE_CHARS:
            return None
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            log.info("tokenls cache: ignoring a row that is not JSON")
            return None

    def remove(self, file_path: str) -> None:
        """Delete a value file of an older cache, only if it is one diskcache itself names
        (``xx/yy/<28 hex>.val``) and lies inside the cache: a row is never trusted to
        name a path."""
        relative = str(file_path).replace(os.sep, "/")
        if not _VALUE_FILE.fullmatch(relative):
            return
        top = os.path.realpath(self._directory)
        inner = os.path.join(top, *relative.split("/")[:2])
        if os.path.realpath(inner) != inner:  # a value folder that is a link
            return
        try:
            os.unlink(os.path.join(inner, relative.rsplit("/", 1)[1]))
        except OSError:
            return
        for folder in (inner, os.path.dirname(inner)):
            try:
                os.rmdir(folder)
            except OSError:
                break
