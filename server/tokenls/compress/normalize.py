"""The text a person sees in a terminal or CI page, from the bytes a tool wrote.

Colour and cursor codes are stripped, a line rewritten with ``\\r`` (progress bars,
spinners) keeps only its final state (a line of two to four pieces that say different things
stays whole: a tool may print its error and then a status over it), and CI runners' fold and timing markers (Travis
``travis_fold``/``travis_time``, GitHub Actions ``##[endgroup]``, GitLab
``section_start``/``section_end``) are dropped. Classification and output both work on this
text, so a coloured ``[ERROR]`` reads as an error and a kept line costs what it shows.

The timestamp a runner writes before every line (GitHub Actions and Azure Pipelines
``2025-04-11T19:32:22.4029967Z ``, GitLab's ``…Z 00O ``, Buildkite's ``\\e_bk;t=…\\a``) is
read past: the line is classified by what follows it, and output as it was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# CSI sequences (colours, cursor moves, erase), OSC sequences (titles, hyperlinks) and
# charset selection. Other escapes (keypad modes and the like) are left as they are.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|\x1b[()][0-9A-Za-z]"
)
_MARKER = re.compile(
    r"travis_(?:fold|time):[a-z]+:[^\s\x1b]*(?:\x1b\[0?K)?"
    r"|section_(?:start|end):\d+:[^\s\x1b]*(?:\x1b\[0?K)?"
    r"|##\[endgroup\]"
)
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z(?: \d\d[OE]\+?)? |\x1b_bk;t=\d+\x07")


@dataclass(frozen=True, slots=True)
class CleanLine:
    text: str  # what a person sees: no colour codes, no overwritten text, no CI markers
    shown: str  # what to output: ``text``, or with its colour codes or timestamp kept


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text) if "\x1b" in text else text


def clean_line(raw: str, *, keep_ansi: bool = False) -> CleanLine | None:
    """The visible text of one raw line, or None when nothing but CI markers remains."""
    if (raw[:1].isdigit() or raw[:2] == "\x1b_") and (stamp := STAMP.match(raw)) is not None:
        rest = clean_line(raw[stamp.end() :], keep_ansi=keep_ansi)
        if rest is None:
            return None
        return CleanLine(rest.text, stamp.group(0) + rest.shown)
    if "\r" in raw and (whole := _several_messages(raw, keep_ansi)) is not None:
        return whole
    text = shown = ""
    marker = False
    for piece in raw.split("\r") if "\r" in raw else (raw,):
        visible = _strip_markers(piece)
        if visible is not None:
            visible = strip_ansi(visible)
        if visible is None:
            marker = True
        elif visible.strip() or not text:
            text, shown = visible, piece
    if marker and not text.strip():
        return None
    if not keep_ansi:
        return CleanLine(text, text)
    return CleanLine(text, _strip_markers(shown) or "")


_WORDS = re.compile(r"[A-Za-z]{2,}")
_MOST_PIECES = 4  # more rewrites than this are a progress display, whatever they say


def _several_messages(raw: str, keep_ansi: bool) -> CleanLine | None:
    """A line of a few ``\\r`` pieces that say different things (a tool printing its error and
    then a status over it) kept whole: the failure is often in an earlier piece. None for a
    progress display (pieces alike but for numbers and bars) or a line with CI markers."""
    pieces = raw.split("\r")
    if len(pieces) > _MOST_PIECES + 1 or "travis_" in raw or "section_" in raw or "##[" in raw:
        return None
    shown = [piece if keep_ansi else strip_ansi(piece) for piece in pieces]
    visible = [strip_ansi(piece) for piece in shown if strip_ansi(piece).strip()]
    if not 2 <= len(visible) <= _MOST_PIECES:
        return None
    if len({tuple(_WORDS.findall(piece)) for piece in visible}) < 2:
        return None
    return CleanLine(" ".join(piece.strip() for piece in visible), "\r".join(shown))


def _strip_markers(text: str) -> str | None:
    """``text`` without CI markers; None when the markers were all it held."""
    if "travis_" not in text and "section_" not in text and "##[endgroup" not in text:
        return text
    rest = _MARKER.sub("", text)
    if strip_ansi(rest).strip():
        return rest
    return None
