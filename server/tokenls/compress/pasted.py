"""Logs pasted into a prompt: which fenced blocks hold one.

A fence's language is the user's word: a block fenced as ``log``, ``console``, ``output``,
``text``, ``txt``, ``shell`` or ``sh`` is a log whatever it holds; an unlabelled fence is one
when its lines read as a log (``looks_like_log``); a fence of any other language never is.
Used alike by the editor's code actions and the agents' ``read_within_budget``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tokenls.compress.signals import PLAIN, kind

LOG_LANGUAGES = frozenset({"log", "console", "output", "text", "txt", "shell", "sh"})
_FENCE_OPEN = re.compile(r" {0,3}(?:`{3,}|~{3,})\s*([^\s`{]*)")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\b\d{2}:\d{2}:\d{2}\b")
_SAMPLE = 400


def looks_like_log(lines: Sequence[str]) -> bool:
    """Enough lines, and enough of them carrying a level, a failure or a timestamp."""
    body = [line for line in lines if line.strip()]
    if len(body) < 5:
        return False
    sample = body[:_SAMPLE]
    marked = sum(1 for line in sample if kind(line) != PLAIN or _TIMESTAMP.search(line))
    return marked >= max(2, len(sample) // 5)


def fence_language(line: str) -> str | None:
    """The language a fence's opening line names ("" for none), or None for no fence."""
    match = _FENCE_OPEN.match(line)
    return match.group(1).lower() if match else None


def is_log_block(lines: Sequence[str], open_line: int, close_line: int) -> bool:
    """Whether a fenced block holds a log: the user said so, or unlabelled and it reads as one."""
    language = fence_language(lines[open_line].rstrip("\r\n"))
    if language in LOG_LANGUAGES:
        return True
    return language == "" and looks_like_log(lines[open_line + 1 : close_line])


def fenced_logs(lines: Sequence[str], fences: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The body ``[start, end)`` of each fenced block (``[open, close]`` lines) holding a log."""
    return [(a + 1, b) for a, b in fences if b > a + 1 and is_log_block(lines, a, b)]
