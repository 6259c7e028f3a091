"""Where text can be cut so that per-piece token counts add up exactly.

tiktoken splits text with a regex into pre-tokens and runs BPE inside each one, so the
count of ``a + b`` equals ``count(a) + count(b)`` whenever no pre-token of ``a + b`` crosses
the cut and no pre-token before the cut looks past it. Two rules give such cuts for both
``cl100k_base`` and ``o200k_base`` (the property tests in ``tests/test_cuts.py`` check them
against tiktoken itself):

* **line rule**: right after a line break (``\\n`` or ``\\r``) when the next line starts with
  optional spaces/tabs and then a non-whitespace character other than ``/`` (o200k glues
  ``\\n/`` to a preceding punctuation run; a blank line joins the whitespace run before it).
* **word rule**: between a letter or number and a following character that cannot continue
  the same pre-token: not a combining mark, not ``'`` (contractions), not of the same
  class (letters continue letter runs, digits are grouped in threes from the run start),
  and not a character this Python's Unicode database does not know (tiktoken's may: a
  letter added in a newer Unicode version would continue the run).
"""

from __future__ import annotations

import re
import unicodedata

_LINE_START_CUT = re.compile(r"[ \t]*[^\s/]")
_LINE_CUT = re.compile(r"(?<=[\r\n])(?=[ \t]*[^\s/])")
# Candidates for the word rule; ``is_word_cut`` settles the exact Unicode classes.
_WORD_CUT = re.compile(r"(?<=[^\W_])(?:[^\w']|(?<=[^\W\d_])\d|(?<=\d)[^\W\d_])")


def is_line_cut(previous_line: str, line: str) -> bool:
    """True when a cut between two consecutive lines keeps counts exact."""
    return previous_line.endswith(("\n", "\r")) and _LINE_START_CUT.match(line) is not None


def is_word_cut(text: str, pos: int) -> bool:
    """True when a cut before ``text[pos]`` (inside a line) keeps counts exact."""
    if pos <= 0 or pos >= len(text):
        return False
    before = unicodedata.category(text[pos - 1])[0]
    if before not in "LN":
        return False
    after_char = text[pos]
    category = unicodedata.category(after_char)
    # "Cn": unassigned in this Python's Unicode database, yet perhaps a letter to tiktoken.
    return category[0] not in ("M", before) and category != "Cn" and after_char != "'"


def find_cut(text: str, start: int, end: int | None = None) -> int | None:
    """The first exact cut ``p`` with ``start <= p < end`` and ``0 < p < len(text)``."""
    end = len(text) if end is None else min(end, len(text))
    pos = max(start, 1)
    line = _LINE_CUT.search(text, pos, end)
    limit = line.start() if line else end
    while True:
        word = _WORD_CUT.search(text, pos, limit)
        if word is None:
            return line.start() if line else None
        if is_word_cut(text, word.start()):
            return word.start()
        pos = word.start() + 1


def _next_cut(text: str, start: int) -> int | None:
    # Growing windows keep a search near ``start`` from scanning the rest of a long text.
    window = 1024
    while start < len(text):
        cut = find_cut(text, start, start + window)
        if cut is not None:
            return cut
        start += window - 1  # the window's last position may need the next character
        window *= 2
    return None


def split_exact(text: str, piece: int) -> list[str]:
    """Split text into pieces of about ``piece`` characters at exact cuts.

    A cut is taken at the first exact position at least ``piece`` characters after the
    previous one, so an edit shifts later cuts with the text and unchanged pieces keep
    their content (which lets callers cache piece counts). A run with no exact cut stays
    whole, however long.
    """
    if len(text) <= piece:
        return [text]
    pieces = []
    start = 0
    while len(text) - start > piece:
        cut = _next_cut(text, start + piece)
        if cut is None:
            break
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


def last_cut(text: str, window: int = 64 * 1024) -> int | None:
    """The last exact cut in the final ``window`` characters of ``text``, or None."""
    floor = max(len(text) - window, 1)
    end = len(text)
    last = None
    while True:
        brk = max(text.rfind("\n", floor - 1, end), text.rfind("\r", floor - 1, end))
        if brk < 0:
            break
        if _LINE_START_CUT.match(text, brk + 1):
            last = brk + 1
            break
        end = brk
    # Word cuts can only follow the last line cut on the same line.
    for match in _WORD_CUT.finditer(text, last or floor):
        if is_word_cut(text, match.start()):
            last = match.start()
    return last
