"""The shape of a prompt: frontmatter, Markdown headings, sections and paragraphs.

Headings inside fenced code blocks and frontmatter are not headings. A section runs from
its heading to the next heading of the same or a higher level, so nested sections are part
of their parent's count, as a reader would expect.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from tokenls.document.yaml_data import YamlRefused, load_yaml
from tokenls.engine.text import split_lines

_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
# A literal first character lets the regex engine skip ahead quickly between candidates.
_STRUCTURE_LINE = re.compile(r" {0,3}(?:#|```|~~~)")
_CANDIDATE = re.compile(r"[\n\r] {0,3}(?:#|```|~~~)")


@dataclass(frozen=True, slots=True)
class Heading:
    line: int
    level: int
    title: str


@dataclass(frozen=True, slots=True)
class Section:
    heading: Heading
    end: int  # exclusive line index


@dataclass(frozen=True, slots=True)
class Frontmatter:
    """The YAML block between ``---`` lines at the top of a file."""

    end: int = 0  # first line after the closing ``---``; 0 when there is none
    data: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


FRONTMATTER_CHARS = 65536  # the text a frontmatter is looked for in, before lines are split
FRONTMATTER_LINES = 200  # the most lines a frontmatter block is looked for in


def text_frontmatter(text: str, max_lines: int = FRONTMATTER_LINES) -> Frontmatter:
    """The frontmatter of a whole text, found without splitting all of it into lines."""
    head = text[:FRONTMATTER_CHARS]
    return read_frontmatter(split_lines(head), max_lines)


def read_frontmatter(lines: Sequence[str], max_lines: int = FRONTMATTER_LINES) -> Frontmatter:
    """Parse the frontmatter; a YAML error is reported, never raised."""
    if not lines or lines[0].rstrip("\r\n") != "---":
        return Frontmatter()
    for index in range(1, min(len(lines), max_lines)):
        if lines[index].rstrip("\r\n") in ("---", "..."):
            block = "".join(lines[1:index])
            try:
                data = load_yaml(block) if block.strip() else {}
            except YamlRefused as exc:  # the document still counts, without its metadata
                where = f" (line {exc.line + 2})" if exc.line is not None else ""
                why = "" if exc.reason == "invalid YAML" else f": {exc.reason}"
                return Frontmatter(index + 1, {}, f"invalid YAML frontmatter{where}{why}")
            if not isinstance(data, Mapping):
                return Frontmatter(index + 1, {}, "frontmatter is not a mapping of keys")
            return Frontmatter(index + 1, data)
    return Frontmatter()


@dataclass(frozen=True, slots=True)
class Structure:
    headings: list[Heading]
    fences: list[tuple[int, int]]  # [open line, close line] of each fenced block, inclusive


def scan_structure(lines: Sequence[str], start: int = 0) -> Structure:
    """ATX headings and fenced code blocks, from line ``start`` on."""
    text = "\n" + "".join(lines[start:])  # the leading break makes line 0 a candidate too
    offsets = list(accumulate(map(len, lines[start:]), initial=0))
    found: list[Heading] = []
    fences: list[tuple[int, int]] = []
    fence: str | None = None
    opened = 0
    # One C-level scan finds the few lines that can open a fence or be a heading.
    for candidate in _CANDIDATE.finditer(text):
        # With the break prepended, a match starts where its line starts in the original.
        index = start + bisect_right(offsets, candidate.start()) - 1
        line = lines[index]
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence, opened = marker, index
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
                fences.append((opened, index))
            continue
        if fence is not None:
            continue
        match = _HEADING.match(line.rstrip("\r\n"))
        if match:
            found.append(Heading(index, len(match.group(1)), (match.group(2) or "").strip()))
    if fence is not None:
        fences.append((opened, len(lines) - 1))  # an unclosed fence runs to the end
    return Structure(found, fences)


def headings(lines: Sequence[str], start: int = 0) -> list[Heading]:
    """ATX headings outside fenced code blocks, from line ``start`` on."""
    return scan_structure(lines, start).headings


def line_headings(lines: Sequence[str], first: int) -> list[Heading]:
    """Headings among ``lines`` (numbered from ``first``) taken one line at a time: the
    caller knows which of them are code."""
    found = []
    for index, line in enumerate(lines, first):
        if _STRUCTURE_LINE.match(line) is None or _FENCE.match(line):
            continue
        match = _HEADING.match(line.rstrip("\r\n"))
        if match:
            found.append(Heading(index, len(match.group(1)), (match.group(2) or "").strip()))
    return found


def fence_markers(lines: Sequence[str]) -> list[tuple[int, str]]:
    """(position, marker) of each line that may open or close a fence."""
    return [(i, m.group(1)) for i, line in enumerate(lines) if (m := _FENCE.match(line))]


def could_be_fence(line: str) -> bool:
    """True for a line that may open or close a fenced code block."""
    return _FENCE.match(line) is not None


def could_be_structure(line: str) -> bool:
    """True for a line that may be a heading or a code fence (cheap, conservative)."""
    return _STRUCTURE_LINE.match(line) is not None


def sections(found: Sequence[Heading], line_count: int) -> list[Section]:
    """Each heading with the line where its section ends (nested sections included)."""
    result: list[Section] = []
    open_: list[Heading] = []
    for heading in found:
        while open_ and open_[-1].level >= heading.level:
            result.append(Section(open_.pop(), heading.line))
        open_.append(heading)
    result.extend(Section(h, line_count) for h in open_)
    result.sort(key=lambda s: s.heading.line)
    return result


def paragraph_at(lines: Sequence[str], line: int) -> tuple[int, int]:
    """The block around ``line`` as ``[start, end)``, bounded by blank lines and headings."""
    if not 0 <= line < len(lines) or not lines[line].strip():
        return line, line
    start = line
    while start > 0 and _in_paragraph(lines[start - 1]) and _in_paragraph(lines[start]):
        start -= 1
    end = line + 1
    while end < len(lines) and _in_paragraph(lines[end]) and _in_paragraph(lines[end - 1]):
        end += 1
    return start, end


def _in_paragraph(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip(" ").startswith("#")
