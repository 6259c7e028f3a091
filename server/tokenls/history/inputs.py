"""Every file a prompt's count can read in one tree, found before the prompt is counted.

A commit's files are written out only when a count needs them, and a prompt whose inputs
are the same on two sides costs the same on both, so it is not counted twice. The set must
therefore hold whatever the analysis could read: the config files on the way up (present or
not), the prompt, each path any file-reference syntax names (every syntax, whatever the
settings choose: one path too many costs nothing), ``@imports`` followed as deep as the
resolver follows them, and any string of the frontmatter or a config that names a file
(variables files, tokenizer files). Symlinks are followed inside the tree, each link kept.
Absent paths are inputs too: a file that appears changes the count.
"""

from __future__ import annotations

import posixpath
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tokenls.document.outline import read_frontmatter
from tokenls.files.reading import DecodeReport, decode_bytes
from tokenls.history.git_objects import MODE_FILE, MODE_TREE, Entry
from tokenls.history.trees import CONFIG_NAMES, Tree, parts_of
from tokenls.references.parse import MAX_PARSED_REFERENCES, parse_references
from tokenls.references.resolve import MAX_IMPORT_DEPTH

FILE_SYNTAXES = frozenset(
    ("hash_file", "markdown_link", "at_import", "prompty_file", "continue_file", "file_uri")
)
_MAX_LINK_HOPS = 40  # as the kernel follows
_MAX_STRINGS = 1000  # strings of one frontmatter or config looked up as paths
_MAX_STRING = 1024


@dataclass(frozen=True, slots=True)
class Inputs:
    """A prompt's inputs in one tree: path → entry (None: absent), links included."""

    path: str
    entries: Mapping[str, Entry | None]
    signature: frozenset[tuple[str, Entry | None]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "signature", frozenset(self.entries.items()))

    @property
    def present(self) -> bool:
        entry = self.entries.get(self.path)
        return entry is not None and entry.mode == MODE_FILE

    def configs(self) -> tuple[tuple[str, Entry | None], ...]:
        """The config files among the inputs: a change there is a change of settings."""
        return tuple(
            sorted((p, e) for p, e in self.entries.items() if posixpath.basename(p) in CONFIG_NAMES)
        )


@dataclass(frozen=True, slots=True)
class _Parsed:
    references: tuple[tuple[str, str], ...]  # (syntax, target)
    strings: tuple[str, ...]


class InputFinder:
    """Finds prompts' inputs in one tree; each file's text is parsed once per content."""

    def __init__(self, tree: Tree, user_strings: Sequence[str] = ()) -> None:
        self.tree = tree
        self.user_strings = tuple(user_strings)  # strings of the user's own config
        self._parsed: dict[tuple[str, bool], _Parsed] = {}

    def inputs(self, path: str) -> Inputs:
        found: dict[str, Entry | None] = {}
        parts = path.split("/")
        for depth in range(len(parts) - 1, -1, -1):
            folder = "/".join(parts[:depth])
            for name in CONFIG_NAMES:
                located = self._locate(_join(folder, name), found)
                if located is not None:
                    strings = self._configstrings_in(located[1], name == "pyproject.toml")
                    self._names(strings, (folder, ""), found)
        located = self._locate(path, found)
        if located is None or located[1].mode != MODE_FILE:
            return Inputs(path, found)
        real, entry = located
        parsed = self._parse(entry, prompt=True)
        folder = posixpath.dirname(real)
        self._names((*parsed.strings, *self.user_strings), (folder, ""), found)
        self._follow(parsed.references, folder, found, 0, {real})
        return Inputs(path, found)

    def _follow(
        self,
        references: Sequence[tuple[str, str]],
        folder: str,
        found: dict[str, Entry | None],
        depth: int,
        chain: set[str],
    ) -> None:
        for syntax, target in references:
            candidate = _relative(folder, target)
            if candidate is None:
                continue
            located = self._locate(candidate, found)
            if syntax != "at_import" or located is None or depth >= MAX_IMPORT_DEPTH:
                continue
            real, entry = located
            if entry.mode != MODE_FILE or real in chain:
                continue
            imported = self._parse(entry, prompt=False)
            self._follow(
                imported.references, posixpath.dirname(real), found, depth + 1, {*chain, real}
            )

    def _names(
        self, strings: Sequence[str], folders: Sequence[str], found: dict[str, Entry | None]
    ) -> None:
        for text in strings:
            for folder in folders:
                candidate = _relative(folder, text)
                if candidate is not None:
                    self._locate(candidate, found)

    def _locate(
        self, path: str, found: dict[str, Entry | None], hops: int = 0
    ) -> tuple[str, Entry] | None:
        """The path's real place and entry, symlinks followed inside the tree; every link
        on the way and the end (or the first missing folder) recorded in ``found``."""
        parts = parts_of(path)
        if parts is None:
            return None
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            entry = self.tree.entry(prefix)
            if entry is None:
                found.setdefault(prefix, None)
                return None
            entry = _canonical(entry)
            if entry.is_link:
                found[prefix] = entry
                target = self.tree.data(entry)
                if hops >= _MAX_LINK_HOPS or target is None:
                    return None
                text = target.decode("utf-8", "surrogateescape")
                rest = "/".join(parts[depth:])
                followed = _relative(posixpath.dirname(prefix), _join(text, rest))
                if followed is None or text.startswith("/"):
                    return None  # out of the tree: the resolver refuses it there as here
                return self._locate(followed, found, hops + 1)
            if depth == len(parts) or not entry.is_tree:
                found[prefix] = entry
                return (prefix, entry) if depth == len(parts) else None
        return None

    def _parse(self, entry: Entry, *, prompt: bool) -> _Parsed:
        key = (entry.oid, prompt)
        known = self._parsed.get(key)
        if known is not None:
            return known
        data = self.tree.data(entry) or b""
        # Cut at every line break str knows and inside code blocks too: a superset of the
        # references the analysis finds, found without scanning the Markdown structure.
        lines = decode_bytes(data, DecodeReport()).splitlines(keepends=True)
        syntaxes = FILE_SYNTAXES if prompt else {"at_import"}
        found = parse_references(lines, syntaxes, fences=(), limit=MAX_PARSED_REFERENCES)
        references = tuple((r.syntax, r.target) for r in found)
        strings = tuple(strings_in(read_frontmatter(lines[:200]).data)) if prompt else ()
        parsed = self._parsed[key] = _Parsed(references, strings)
        return parsed

    def _configstrings_in(self, entry: Entry, pyproject: bool) -> tuple[str, ...]:
        if entry.mode != MODE_FILE:
            return ()
        key = (entry.oid, pyproject)
        known = self._parsed.get(key)
        if known is None:
            table = config_table(self.tree.data(entry) or b"", pyproject)
            known = self._parsed[key] = _Parsed((), tuple(strings_in(table)))
        return known.strings


def config_table(data: bytes, pyproject: bool) -> Mapping[str, Any]:
    """The settings table of a config file's bytes; empty when it has none or is broken."""
    try:
        table: Any = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    if pyproject:
        tool = table.get("tool")
        table = tool.get("tokenls") if isinstance(tool, Mapping) else None
    return table if isinstance(table, Mapping) else {}


def strings_in(value: Any) -> Iterator[str]:
    """The strings inside a parsed mapping that could name a file, a bounded number."""
    pending = [value]
    given = 0
    while pending and given < _MAX_STRINGS:
        item = pending.pop()
        if isinstance(item, str):
            if 0 < len(item) <= _MAX_STRING and "://" not in item and "\n" not in item:
                given += 1
                yield item
        elif isinstance(item, Mapping):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)


def _canonical(entry: Entry) -> Entry:
    """Entries as inputs compare: every file mode is a file, every folder the same."""
    if entry.is_tree:
        return Entry(MODE_TREE, "")
    if entry.is_file:
        return Entry(MODE_FILE, entry.oid)
    return entry


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _relative(folder: str, target: str) -> str | None:
    """``target`` named from ``folder``, as a path from the tree's top; None when it is
    absolute, under ``~``, or leaves the tree."""
    if not target or target.startswith(("/", "~")) or "\0" in target:
        return None
    joined = posixpath.normpath(_join(folder, target))
    if joined in (".", "..") or joined.startswith("../"):
        return None
    return joined
