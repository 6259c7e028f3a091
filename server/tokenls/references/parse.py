"""Finding references in prompt text: files, imports and variables, with exact ranges.

Each syntax is the one a real tool uses: ``#file:path`` (VS Code chat), relative Markdown
links in prompt and instruction files, ``@path`` imports (CLAUDE.md, AGENTS.md, GEMINI.md),
``${file:path}`` (Prompty), ``{{{ ./path }}}`` (Continue ``.prompt``), ``file://path`` values
(promptfoo YAML), and variables ``{{ name }}`` / ``${input:name}``. References inside fenced
code blocks and inline code spans are text, not references.

Variables are read only where templates live (``TEMPLATE_SUFFIXES``, promptfoo configs, and
prompts whose frontmatter or config declares variables): elsewhere ``{{closure}}`` in a
pasted Rust backtrace, or ``${{ github.sha }}`` in a workflow, is text, not a variable.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from heapq import merge
from itertools import accumulate, islice
from operator import attrgetter
from typing import Literal

from tokenls.config.values import REFERENCE_SYNTAXES as SYNTAXES
from tokenls.document.outline import scan_structure

Kind = Literal["file", "variable", "url"]



# The references read of one document: a prompt never needs more, and a million of them
# would cost seconds and hundreds of megabytes to parse. Those past it are not read.
MAX_PARSED_REFERENCES = 100_000


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference as written: ``target`` is the path or variable name, positions are
    (line, string index) pairs, ``end`` exclusive."""

    kind: Kind
    syntax: str
    target: str
    line: int
    start: int
    end: int


# A URL in prose ends at whitespace or closing punctuation; a bracketed IPv6 host
# (``http://[::1]:8123/x``) is kept whole.
_PROSE_URL = r"https?://(?:\[[0-9A-Za-z:.%]+\][^\s)\]>\"'`]*|[^\s)\]>\"'`\[]+)"
_PATTERNS: dict[str, re.Pattern[str]] = {
    "hash_file": re.compile(r"(?<![\w#])#file:(?P<t>`[^`\n]+`|\"[^\"\n]+\"|[^\s)\]>\"'`]+)"),
    "markdown_link": re.compile(
        r"(?<!!)\[[^\]\n]*\]\((?P<t>[^)\s#?][^)\s]*?)(?:#[^)\s]*)?(?:\s+\"[^\"]*\")?\)"
    ),
    "at_import": re.compile(r"(?:(?<=\s)|^)@(?P<t>~?/?[\w.\-]+(?:/[\w.\-]+)*)", re.MULTILINE),
    "prompty_file": re.compile(r"\$\{file:(?P<t>[^}\n]+)\}"),
    "continue_file": re.compile(r"\{\{\{\s*(?P<t>\.{0,2}/[^}\s]+)\s*\}\}\}"),
    "file_uri": re.compile(r"(?<![\w/])file://(?P<t>[^\s'\",\]}]+)"),
    "variable": re.compile(r"(?<!\{)\{\{\s*(?P<t>[A-Za-z_][\w.\-]*)\s*\}\}(?!\})"),
    "input_variable": re.compile(r"\$\{input:(?P<t>[A-Za-z_][\w\-]*)(?::[^}\n]*)?\}"),
    "continue_url": re.compile(r"\{\{\{\s*url\s+\"(?P<t>https?://[^\"\s]+)\"\s*\}\}\}"),
    "prompty_url": re.compile(r"\$\{url:(?P<t>https?://[^}\s]+)\}"),
    "hash_url": re.compile(rf"(?<![\w#])#url:(?P<t>{_PROSE_URL})"),
    "at_url": re.compile(rf"(?:(?<=\s)|^)@url:(?P<t>{_PROSE_URL})", re.MULTILINE),
}
_KINDS: dict[str, Kind] = {name: "file" for name in _PATTERNS}
_KINDS["variable"] = _KINDS["input_variable"] = "variable"
for _name in ("continue_url", "prompty_url", "hash_url", "at_url"):
    _KINDS[_name] = "url"
_CODE_SPAN = re.compile(r"(`+)(?:.*?[^`])?\1(?!`)")
_PROSE_SYNTAXES = frozenset({"hash_file", "at_import", "file_uri", "hash_url", "at_url"})
_TRAILING = ".,;:!?"
_URL_SCHEME = re.compile(r"[A-Za-z][\w+.\-]*:")
_START = attrgetter("start")
_TRIGGER = re.compile(r"#file:|#url:|\]\(|@|\$\{|\{\{|file://")
# Text each syntax cannot match without: a substring test is far cheaper than a regex
# scan, and a prompt may hold a million references.
_MARKERS: dict[str, str] = {
    "hash_file": "#file:",
    "markdown_link": "](",
    "at_import": "@",
    "prompty_file": "${file:",
    "continue_file": "{{{",
    "file_uri": "file://",
    "variable": "{{",
    "input_variable": "${input:",
    "continue_url": "{{{",
    "prompty_url": "${url:",
    "hash_url": "#url:",
    "at_url": "@url:",
}


# Files that are templates by their name: Prompty, Continue and Dotprompt ``.prompt``, VS Code
# prompt files, GitHub Models ``.prompt.yml``, Jinja, Handlebars and Mustache.
TEMPLATE_SUFFIXES = (
    ".prompty",
    ".prompt",
    ".prompt.md",
    ".prompt.yml",
    ".prompt.yaml",
    ".jinja",
    ".jinja2",
    ".j2",
    ".hbs",
    ".handlebars",
    ".mustache",
)
VARIABLE_SYNTAXES = frozenset({"variable", "input_variable"})


def is_template_file(filename: str) -> bool:
    """Whether a file of this name is a template (its ``{{ name }}`` are variables)."""
    name = filename.lower()
    if name.endswith(TEMPLATE_SUFFIXES):
        return True
    # promptfoo: promptfooconfig.yaml, and variants such as promptfooconfig.ci.yaml
    return name.startswith("promptfooconfig") and name.endswith((".yaml", ".yml"))


def default_syntaxes(filename: str, templated: bool = False) -> frozenset[str]:
    """The syntaxes a file of this name is expected to use; ``templated``: its frontmatter
    or config declares variables, so it is a template whatever its name."""
    name = filename.lower()
    active = {
        "hash_file",
        "prompty_file",
        "continue_file",
        "continue_url",
        "prompty_url",
        "hash_url",
        "at_url",
    }
    if templated or is_template_file(name):
        active |= VARIABLE_SYNTAXES
    if name.endswith((".prompt.md", ".instructions.md", ".chatmode.md", ".agent.md")) or name in (
        "copilot-instructions.md",
    ):
        active.add("markdown_link")
    if name in ("claude.md", "agents.md", "gemini.md", "claude.local.md") or name.endswith(
        (".claude.md",)
    ):
        active.add("at_import")
    if name.endswith((".yaml", ".yml")):
        active.add("file_uri")
    return frozenset(active)


def parse_references(
    lines: Sequence[str],
    syntaxes: Iterable[str],
    first_line: int = 0,
    fences: Sequence[tuple[int, int]] | None = None,
    limit: int | None = None,
) -> list[Reference]:
    """References in ``lines`` (outside code), in document order; ``fences`` are the code
    blocks from ``first_line`` on, when the caller has scanned them already. With ``limit``,
    only the first ``limit`` are read: time and memory stay bounded however many there are."""
    wanted = set(syntaxes)
    active = [(name, _PATTERNS[name]) for name in SYNTAXES if name in wanted]
    if not active or limit == 0:
        return []
    text = "".join(lines[first_line:])
    offsets = list(accumulate(map(len, lines[first_line:]), initial=0))
    if fences is None:
        fences = scan_structure(lines, first_line).fences
    # Fences are in order of their first line: one bisect a line, against the furthest
    # line any fence opened before it reaches (an unclosed one runs over those after it).
    starts = [a for a, _ in fences]
    reach = list(accumulate((b for _, b in fences), max))
    found: list[Reference] = []
    position = 0
    # A C-level search finds the next line that can hold a reference; only those are parsed.
    while (trigger := _TRIGGER.search(text, position)) is not None:
        below = bisect_right(offsets, trigger.start()) - 1
        position = offsets[below + 1]  # on from the next line
        index = first_line + below
        at = bisect_right(starts, index) - 1
        if at >= 0 and index <= reach[at]:
            continue
        on_line = _line_references(lines[index], index, active)
        if limit is None:
            found.extend(on_line)
            continue
        found.extend(islice(on_line, limit - len(found)))
        if len(found) >= limit:
            break
    return found


def _line_references(
    line: str, index: int, active: list[tuple[str, re.Pattern[str]]]
) -> Iterator[Reference]:
    """The line's references in order of where they start, found lazily."""
    spans = [m.span() for m in _CODE_SPAN.finditer(line)] if "`" in line else []
    found = [
        _syntax_references(line, index, name, pattern, spans)
        for name, pattern in active
        if _MARKERS[name] in line
    ]
    if len(found) == 1:
        return found[0]
    return merge(*found, key=_START)  # equal starts keep the syntaxes' order


def _syntax_references(
    line: str,
    index: int,
    name: str,
    pattern: re.Pattern[str],
    spans: list[tuple[int, int]],
) -> Iterator[Reference]:
    for match in pattern.finditer(line):
        start, end = match.span()
        if spans and any(a <= start < b for a, b in spans):
            continue
        target = match.group("t").strip().strip('`"')
        if name in _PROSE_SYNTAXES and target[-1:] in _TRAILING:
            trimmed = target.rstrip(_TRAILING)  # "see @a.md." ends a sentence
            end -= len(target) - len(trimmed)
            target = trimmed
        if name == "markdown_link" and _URL_SCHEME.match(target):
            continue  # https:, mailto:, vscode: ... are not files
        if name == "at_import" and not _looks_like_path(target):
            continue
        yield Reference(_KINDS[name], name, target, index, start, end)


def _looks_like_path(target: str) -> bool:
    # "@alice" in prose is a mention; "@docs/rules.md", "@README.md", "@~/x" are imports.
    return "/" in target or "." in target.strip(".")


def may_reference(line: str) -> bool:
    """True for a line that might hold a reference (cheap, conservative)."""
    return _TRIGGER.search(line) is not None
