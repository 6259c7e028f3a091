"""The text a person sees in a terminal or CI page, from the bytes a tool wrote.

Colour and cursor codes are stripped, a line rewritten with ``\\r`` (progress bars,
spinners) keeps only its final state, and CI runners' fold and timing markers (Travis
``travis_fold``/``travis_time``, GitHub Actions ``##[group]``/``##[endgroup]``, GitLab
``section_start``/``section_end``) are dropped. Classification and output both work on this
text, so a coloured ``[ERROR]`` reads as an error and a kept line costs what it shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# CSI sequences (colours, cursor moves, erase), OSC sequences (titles, hyperlinks) and the
# two-character escapes (charset selection, keypad modes) that terminals act on silently.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|\x1b[()][0-9A-Za-z]"
    r"|\x1b[=>78NOMc]"
)
_MARKER = re.compile(
    r"travis_(?:fold|time):[a-z]+:\S*"
    r"|section_(?:start|end):\d+:[^\s\r]*"
    r"|##\[(?:group|endgroup)\]"
)


@dataclass(frozen=True, slots=True)
class CleanLine:
    text: str
    marker: bool  # the raw line held a CI fold/timing marker (a step boundary)


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text) if "\x1b" in text else text


def clean_line(raw: str, *, keep_ansi: bool = False) -> CleanLine | None:
    """The visible text of one raw line, or None when nothing but CI markers remains."""
    marker = False
    if "\r" in raw:
        text = ""
        for piece in raw.split("\r"):
            shown = _strip_markers(strip_ansi(piece))
            if shown is None:
                marker = True
            elif shown.strip():
                text = piece if keep_ansi else shown
        if not text and marker:
            return None
        return CleanLine(text, marker)
    shown = _strip_markers(strip_ansi(raw))
    if shown is None:
        return None
    return CleanLine(raw if keep_ansi else shown, shown != raw and _MARKER.search(raw) is not None)


def _strip_markers(text: str) -> str | None:
    """``text`` without CI markers; None when the markers were all it held."""
    if "travis_" not in text and "section_" not in text and "##[" not in text:
        return text
    rest = _MARKER.sub("", text)
    if rest.strip():
        return rest
    return None
