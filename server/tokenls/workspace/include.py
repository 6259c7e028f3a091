"""Which files are prompts: the ``include`` globs, compiled once per set of patterns.

A pattern matches a path relative to the workspace root the way ``PurePosixPath.match``
does on Python 3.11: a relative pattern is held against the path's last components, each
component with ``fnmatch`` rules (case-sensitive, ``*`` never crosses ``/``, ``**`` is one
component), and ``**/x`` also matches a top-level ``x``. Checking a tree of thousands of
files against the globs costs one cached lookup per pattern shape, not a ``PurePath`` parse
per file and pattern.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import PurePosixPath

Matcher = Callable[[Sequence[str]], bool]


@lru_cache(maxsize=64)
def include_matcher(patterns: tuple[str, ...]) -> Matcher:
    """A function of a relative path's parts that says whether any pattern matches it."""
    compiled: list[tuple[Callable[[str], object], ...]] = []
    for pattern in patterns:
        variants = [pattern, pattern[3:]] if pattern.startswith("**/") else [pattern]
        for variant in variants:
            pure = PurePosixPath(variant)
            if pure.is_absolute() or not pure.parts:
                continue  # an absolute or empty pattern never matches a relative path
            compiled.append(tuple(_component(part) for part in pure.parts))
    # Most files match no pattern's last component: one regex rules them out.
    last = {_last_component(pattern) for pattern in patterns}
    names = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in sorted(last)) or "(?!)")

    def matches(parts: Sequence[str]) -> bool:
        count = len(parts)
        if not count or names.match(parts[-1]) is None:
            return False
        for components in compiled:
            width = len(components)
            if width > count:
                continue
            tail = parts[count - width :]
            if all(match(part) for match, part in zip(components, tail, strict=True)):
                return True
        return False

    return matches


@lru_cache(maxsize=256)
def _component(pattern: str) -> Callable[[str], object]:
    return re.compile(fnmatch.translate(pattern)).match


def _last_component(pattern: str) -> str:
    parts = PurePosixPath(pattern).parts
    return parts[-1] if parts else ""
