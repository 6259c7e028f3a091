"""git's objects read through one long-running ``git cat-file --batch`` process, so a
history of a thousand commits costs one process, not a thousand."""

from __future__ import annotations

import subprocess
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from tokenls.files.gitignore import git_command
from tokenls.history.git_hardening import HARDENING, OID, GitError
from tokenls.history.git_objects import MODE_MODULE, CommitInfo, Entry, parse_commit, parse_tree


class ObjectReader:
    """One ``git cat-file --batch`` process: objects by name, trees and commits parsed and
    kept, blobs kept up to a memory budget. Many objects are asked for in one batch (one
    round trip, not one each): a history reads thousands."""

    BLOB_BUDGET = 64 * 1024 * 1024  # bytes of blobs kept read ahead

    def __init__(self, top: Path) -> None:
        command = git_command(top, *HARDENING, "cat-file", "--batch")
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
                known = parse_tree(found[1], len(oid) // 2)
            self._trees[oid] = known
        return known

    def commit_info(self, oid: str) -> CommitInfo:
        known = self._commits.get(oid)
        if known is None:
            found = self.read(oid)
            if found is None or found[0] != "commit" or found[1] is None:
                raise GitError(f"not a commit: {oid}")
            known = self._commits[oid] = parse_commit(oid, found[1])
        return known

    def _keep(self, oid: str, kind: str, data: bytes) -> None:
        if kind == "tree":
            self._trees[oid] = parse_tree(data, len(oid) // 2)
        elif kind == "commit":
            self._commits[oid] = parse_commit(oid, data)
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
            if not OID.fullmatch(oid):
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
