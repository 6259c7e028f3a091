"""A repository read through git's objects: revisions, trees, blobs, renames and history.

A revision's content never comes from the work tree: trees are listed with ``git ls-tree``
and every object is read through one long-running ``git cat-file --batch`` process, so a
history of a thousand commits costs one process, not a thousand. A repository is untrusted
input: git runs with the hardening of ``tokenls.files.gitignore`` (no fsmonitor, no hooks), never
through a shell, with every transport refused (a partial clone cannot fetch a missing object
over the network), no signature checks (``gpg.program`` is a program a repository's config
could name), literal pathspecs, and revision arguments checked before git sees them.
"""

from __future__ import annotations

import re
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO

from tokenls.files.gitignore import git_command, run_git

# Global options for every command here, after tokenls.files.gitignore's own settings.
_HARDENING = (
    "-c",
    "protocol.allow=never",
    "-c",
    "log.showSignature=false",
    "-c",
    "core.quotePath=false",
    "--no-pager",
    "--literal-pathspecs",
    "--no-replace-objects",
)
_OID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_LOG_HEADER = re.compile(rb"([0-9a-f]{40,64}) ([0-9a-f]{40,64})")
MODE_FILE, MODE_EXECUTABLE, MODE_LINK, MODE_TREE, MODE_MODULE = (
    "100644",
    "100755",
    "120000",
    "40000",
    "160000",
)


class GitError(Exception):
    """git could not answer (no repository, an unknown revision): one line for the user."""


def check_revision(text: str) -> str:
    """``text`` when it may be handed to git as a revision, else ``GitError``: an option
    (a leading ``-``) or a line break could make git read something else."""
    if not text or text.startswith("-") or any(c in text for c in "\0\n\r"):
        raise GitError(f"not a revision: {text!r}")
    return text


@dataclass(frozen=True, slots=True)
class Entry:
    """A tree entry: its mode as git writes it and the object it names."""

    mode: str
    oid: str

    @property
    def is_file(self) -> bool:
        return self.mode in (MODE_FILE, MODE_EXECUTABLE, "100664")

    @property
    def is_link(self) -> bool:
        return self.mode == MODE_LINK

    @property
    def is_tree(self) -> bool:
        return self.mode.lstrip("0") == MODE_TREE


@dataclass(frozen=True, slots=True)
class CommitInfo:
    """What a history row shows of a commit."""

    oid: str
    tree: str
    date: str  # the author date, ISO 8601 with its offset
    subject: str


@dataclass(frozen=True, slots=True)
class LogEntry:
    """A commit a path's history lists, with the path's name there (``--follow``)."""

    commit: str
    tree: str
    name: str | None


class Repository:
    """One work tree's repository, addressed by its top directory."""

    def __init__(self, top: Path) -> None:
        self.top = top

    @classmethod
    def find(cls, start: Path) -> Repository:
        """The repository whose work tree holds ``start``."""
        directory = start if start.is_dir() else start.parent
        result = run_git(directory, *_HARDENING, "rev-parse", "--show-toplevel")
        if result is None:
            raise GitError("git is not installed")
        if result.returncode != 0 or not result.stdout.strip():
            raise GitError(f"not inside a git work tree: {directory}")
        return cls(Path(result.stdout.decode("utf-8", "surrogateescape").rstrip("\n")))

    def git(self, *args: str) -> bytes:
        """A git command's output; ``GitError`` with git's own first line when it fails."""
        result = run_git(self.top, *_HARDENING, *args)
        if result is None:
            raise GitError("git could not be run")
        if result.returncode != 0:
            lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(lines[0] if lines else f"git {args[0]} failed")
        return result.stdout

    def commit(self, revision: str) -> str:
        """The commit a revision names (``HEAD``, a branch, ``main~2``, an object name)."""
        check_revision(revision)
        result = run_git(
            self.top, *_HARDENING, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"
        )
        out = result.stdout.decode("ascii", "replace").strip() if result else ""
        if result is None or result.returncode != 0 or not _OID.fullmatch(out):
            raise GitError(f"unknown revision: {revision}")
        return out

    def merge_base(self, first: str, second: str) -> str:
        out = self.git("merge-base", first, second).decode("ascii", "replace").strip()
        if not _OID.fullmatch(out):
            raise GitError(f"no common ancestor of {first} and {second}")
        return out

    def files(self, commit: str) -> dict[str, Entry]:
        """Every file and symlink of a commit's tree (submodules left out), by path."""
        listing = self.git("ls-tree", "-r", "-z", "--full-tree", commit)
        files: dict[str, Entry] = {}
        for record in listing.split(b"\0"):
            head, _, raw = record.partition(b"\t")
            fields = head.split(b" ")
            if len(fields) != 3 or fields[1] != b"blob":
                continue
            files[_path(raw)] = Entry(fields[0].decode(), fields[2].decode())
        return files

    def renames(self, base: str, head: str | None) -> dict[str, str]:
        """Files renamed from ``base`` to ``head`` (None: the work tree), new name → old."""
        options = ("-r", "-M", "--name-status", "-z", "--no-ext-diff", "--no-textconv")
        if head is None:
            out = self.git("diff-index", *options, base, "--")
        else:
            out = self.git("diff-tree", *options, base, head, "--")
        fields = out.split(b"\0")
        renamed: dict[str, str] = {}
        index = 0
        while index < len(fields):
            status = fields[index]
            if not status:
                index += 1
                continue
            if status[:1] in (b"R", b"C") and index + 2 < len(fields):
                if status[:1] == b"R":
                    renamed[_path(fields[index + 2])] = _path(fields[index + 1])
                index += 3
            else:
                index += 2
        return renamed

    def history(self, paths: Sequence[str], *, follow: bool, limit: int | None) -> list[LogEntry]:
        """Commits along the first-parent line from HEAD that changed one of ``paths``, newest
        first; with ``follow`` (one path), its renames are followed and each commit carries
        the path's name there."""
        options = ["-z", "--first-parent", "--format=%H %T"]
        if limit is not None:
            options.append(f"--max-count={limit}")
        if follow:
            options += ["--follow", "--name-only"]
        out = self.git("log", *options, "HEAD", "--", *paths)
        return list(_log_entries(out, named=follow))

    def objects(self) -> ObjectReader:
        return ObjectReader(self.top)


def _log_entries(out: bytes, *, named: bool) -> Iterator[LogEntry]:
    """Parse ``git log -z --format='%H %T'`` output. A name follows its header after a line
    break; a header never starts with one, so names of any bytes parse unambiguously."""
    position = 0
    while position < len(out):
        end = out.find(b"\0", position)
        end = len(out) if end < 0 else end
        match = _LOG_HEADER.fullmatch(out, position, end)
        position = end + 1
        if match is None:
            continue
        name = None
        if named and out[position : position + 1] == b"\n":
            stop = out.find(b"\0", position + 1)
            stop = len(out) if stop < 0 else stop
            name = _path(out[position + 1 : stop])
            position = stop + 1
        yield LogEntry(match[1].decode(), match[2].decode(), name)


def _path(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


class ObjectReader:
    """One ``git cat-file --batch`` process: objects by name, trees and commits parsed and
    kept, blobs kept up to a memory budget. Many objects are asked for in one batch (one
    round trip, not one each): a history reads thousands."""

    BLOB_BUDGET = 64 * 1024 * 1024  # bytes of blobs kept read ahead

    def __init__(self, top: Path) -> None:
        command = git_command(top, *_HARDENING, "cat-file", "--batch")
        if command is None:
            raise GitError("git is not installed")
        try:
            self._process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
        except OSError as exc:
            raise GitError(f"cannot run git: {exc.strerror or exc}") from None
        self._trees: dict[str, dict[str, Entry]] = {}
        self._commits: dict[str, CommitInfo] = {}
        self._blobs: OrderedDict[str, bytes] = OrderedDict()
        self._blob_bytes = 0

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        process = self._process
        if process.poll() is None:
            try:
                assert process.stdin is not None
                process.stdin.close()
                process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def read(self, oid: str, limit: int | None = None) -> tuple[str, bytes | None, int] | None:
        """(type, content, size) of an object, None when it is missing; content is None
        when the object is larger than ``limit`` (it is skipped, never held in memory)."""
        return self._fetch([oid], limit)[0]

    def read_ahead(self, oids: Sequence[str]) -> None:
        """Read these objects in one batch and keep them: trees and commits parsed, blobs
        while they fit the budget."""
        wanted = list(
            dict.fromkeys(
                o
                for o in oids
                if o not in self._trees and o not in self._commits and o not in self._blobs
            )
        )
        if not wanted:
            return
        for oid, found in zip(wanted, self._fetch(wanted, self.BLOB_BUDGET), strict=True):
            if found is not None and found[1] is not None:
                self._keep(oid, found[0], found[1])

    def read_paths(self, trees: Sequence[str], paths: Sequence[str]) -> None:
        """Read ahead, under each tree, the trees along ``paths`` and the blobs they end
        at: one batch for each depth."""
        wanted = {(tree, tuple(p.split("/"))) for tree in trees for p in paths if p}
        while wanted:
            self.read_ahead([tree for tree, _ in wanted])
            deeper: set[tuple[str, tuple[str, ...]]] = set()
            blobs: list[str] = []
            for tree, parts in wanted:
                entry = self._trees.get(tree, {}).get(parts[0])
                if entry is None:
                    continue
                if len(parts) > 1 and entry.is_tree:
                    deeper.add((entry.oid, parts[1:]))
                elif len(parts) == 1 and not entry.is_tree and entry.mode != MODE_MODULE:
                    blobs.append(entry.oid)
            if self._blob_bytes < self.BLOB_BUDGET:
                self.read_ahead(blobs)
            wanted = deeper

    def blob(self, oid: str, limit: int | None = None) -> bytes | None:
        known = self._blobs.get(oid)
        if known is not None:
            return known
        found = self.read(oid, limit)
        return found[1] if found is not None and found[0] == "blob" else None

    def tree(self, oid: str) -> dict[str, Entry]:
        """A tree's entries by name, parsed once per tree object."""
        known = self._trees.get(oid)
        if known is None:
            found = self.read(oid)
            known = {}
            if found is not None and found[0] == "tree" and found[1] is not None:
                known = _parse_tree(found[1], len(oid) // 2)
            self._trees[oid] = known
        return known

    def commit_info(self, oid: str) -> CommitInfo:
        known = self._commits.get(oid)
        if known is None:
            found = self.read(oid)
            if found is None or found[0] != "commit" or found[1] is None:
                raise GitError(f"not a commit: {oid}")
            known = self._commits[oid] = _parse_commit(oid, found[1])
        return known

    def _keep(self, oid: str, kind: str, data: bytes) -> None:
        if kind == "tree":
            self._trees[oid] = _parse_tree(data, len(oid) // 2)
        elif kind == "commit":
            self._commits[oid] = _parse_commit(oid, data)
        elif kind == "blob":
            self._blobs[oid] = data
            self._blob_bytes += len(data)
            while self._blob_bytes > self.BLOB_BUDGET and self._blobs:
                self._blob_bytes -= len(self._blobs.popitem(last=False)[1])

    def _fetch(
        self, oids: Sequence[str], limit: int | None
    ) -> list[tuple[str, bytes | None, int] | None]:
        """The answers for ``oids``, asked all at once: the names are written from another
        thread while the answers are read, so neither pipe can fill and stall git."""
        for oid in oids:
            if not _OID.fullmatch(oid):
                raise GitError(f"not an object name: {oid!r}")
        stdin, stdout = self._pipes()
        request = b"".join(oid.encode() + b"\n" for oid in oids)
        failed: list[OSError] = []

        def send() -> None:
            try:
                stdin.write(request)
                stdin.flush()
            except OSError as exc:
                failed.append(exc)

        writer = None
        if len(request) <= 4096:  # far below any pipe's buffer: written at once
            send()
        else:
            writer = threading.Thread(target=send, daemon=True)
            writer.start()
        try:
            return [self._answer(stdout, limit) for _ in oids]
        finally:
            if writer is not None:
                writer.join()
            if failed:
                raise GitError(f"git cat-file stopped: {failed[0].strerror or failed[0]}")

    def _answer(self, stdout: IO[bytes], limit: int | None) -> tuple[str, bytes | None, int] | None:
        try:
            header = stdout.readline()
        except OSError as exc:
            raise GitError(f"git cat-file stopped: {exc.strerror or exc}") from None
        fields = header.split()
        if len(fields) != 3:
            if header.endswith(b" missing\n"):
                return None
            raise GitError("git cat-file stopped answering")
        kind, size = fields[1].decode(), int(fields[2])
        if limit is not None and size > limit:
            left = size + 1  # with the line feed after it
            while left > 0:
                chunk = stdout.read(min(left, 1 << 20))
                if not chunk:
                    raise GitError("git cat-file stopped answering")
                left -= len(chunk)
            return kind, None, size
        data = stdout.read(size)
        stdout.read(1)  # the line feed after each object
        if len(data) != size:
            raise GitError("git cat-file stopped answering")
        return kind, data, size

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        stdin, stdout = self._process.stdin, self._process.stdout
        if stdin is None or stdout is None or self._process.poll() is not None:
            raise GitError("git cat-file is not running")
        return stdin, stdout


def _parse_tree(data: bytes, width: int) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    position = 0
    while position < len(data):
        space = data.find(b" ", position)
        nul = data.find(b"\0", space)
        if space < 0 or nul < 0 or nul + 1 + width > len(data):
            break
        mode = data[position:space].decode("ascii", "replace")
        name = _path(data[space + 1 : nul])
        entries[name] = Entry(mode, data[nul + 1 : nul + 1 + width].hex())
        position = nul + 1 + width
    return entries


def _parse_commit(oid: str, data: bytes) -> CommitInfo:
    head, _, message = data.partition(b"\n\n")
    tree = date = ""
    encoding = "utf-8"
    for line in head.split(b"\n"):
        key, _, value = line.partition(b" ")
        if key == b"tree":
            tree = value.decode("ascii", "replace")
        elif key == b"author":
            date = _date(value)
        elif key == b"encoding":
            encoding = value.decode("ascii", "replace").strip() or "utf-8"
    try:
        text = message.decode(encoding, "replace")
    except LookupError:
        text = message.decode("utf-8", "replace")
    paragraph = text.strip("\n").split("\n\n", 1)[0]
    subject = " ".join(line.strip() for line in paragraph.splitlines())
    return CommitInfo(oid, tree, date, subject)


def _date(author: bytes) -> str:
    """``Name <mail> 1700000000 +0100`` → ``2023-11-14T23:13:20+01:00``."""
    fields = author.rsplit(b" ", 2)
    try:
        seconds, zone = int(fields[-2]), fields[-1].decode()
        sign = -1 if zone.startswith("-") else 1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * sign
        return datetime.fromtimestamp(seconds, timezone(offset)).isoformat()
    except (ValueError, IndexError, OverflowError, OSError):
        return ""
