"""Turning parsed references into counts: files through the cache, imports, variables.

A referenced file is counted once per document however often it is referenced. ``@path``
imports are followed into the imported files up to ``MAX_IMPORT_DEPTH`` hops, as Claude Code
does; a cycle is reported and each file on it is still counted once. Failures never raise:
they become a reference with ``status="error"`` and 0 tokens, and the rest still counts.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from tokenls.cache.token_cache import Source, TokenCache
from tokenls.engine.counting import Count, Counter
from tokenls.engine.text import split_lines
from tokenls.files.reading import DecodeReport, decode_bytes, decode_chunks
from tokenls.references.cached_counts import cached_count, store_count
from tokenls.references.file_facts import FileFacts, FileScan, stat_key
from tokenls.references.files import (
    FilePolicy,
    ReferenceRefused,
    open_safely,
    read_chunks_fd,
    resolve_path,
)
from tokenls.references.parse import MAX_PARSED_REFERENCES, Reference, parse_references

if TYPE_CHECKING:
    from tokenls.references.urls import Fetched

MAX_IMPORT_DEPTH = 5
Status = Literal["ok", "error", "unbound", "pending"]


class ReferenceLimits:
    """How many references one document may resolve (imports followed included), and for
    how long: past either, the rest are not resolved. A prompt with a million references
    must still answer, and a slow file system must not hold it."""

    def __init__(self, count: int, seconds: float) -> None:
        self.count = count
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.used = 0

    def take(self) -> str | None:
        """Spend one resolution: None when allowed, else why not (naming the setting)."""
        if self.used >= self.count:
            return f"a document resolves at most {self.count:,} references (max_references)"
        if time.monotonic() > self.deadline:
            return (
                f"resolving the document's references took longer than {self.seconds:g} s "
                "(references_timeout_s)"
            )
        self.used += 1
        return None


class UrlSource(Protocol):
    """Where URL bodies come from: ``None`` means not yet known (being fetched)."""

    def lookup(self, url: str) -> Fetched | None: ...


@dataclass(slots=True)
class Resolved:
    reference: Reference
    status: Status
    tokens: int = 0
    exact: bool = True
    target: str = ""
    error: str | None = None
    source: Source | None = None
    size: int = 0
    lines: int = 0
    duplicate: bool = False  # counted already by an earlier reference to the same target
    fetch: str | None = None  # URLs: cache, fresh, revalidated or stale
    imports: list[str] = field(default_factory=list)  # files pulled in by nested @imports
    # Past the document's limits: how many references this one stands for (itself and
    # those after it), none of them resolved.
    left_unresolved: int = 0

    @property
    def counts(self) -> bool:
        """Whether this reference adds to a total: resolved, and the target's first occurrence
        (a later one, ``duplicate``, is shown but not counted again)."""
        return self.status == "ok" and not self.duplicate


class Resolver:
    """Resolves references of one encoding through a shared cache."""

    def __init__(
        self,
        cache: TokenCache,
        policy: FilePolicy,
        urls: Callable[[], UrlSource | None] | None = None,
    ) -> None:
        self.cache = cache
        self.policy = policy
        self._urls = urls  # made on the first URL reference: HTTP machinery loads only then
        self._imports: dict[str, list[str]] = {}

    def resolve(
        self,
        references: Sequence[Reference],
        base_dir: Path,
        counter: Counter,
        variables: Mapping[str, str],
        importing: Path | None = None,
        limits: ReferenceLimits | None = None,
        unread: bool = False,
    ) -> list[Resolved]:
        """One result per reference, in order; past ``limits`` the list ends with one error
        on the first reference not resolved, saying how many were left and why (``unread``:
        the document has more references than ``references`` holds)."""
        seen: set[str] = set()
        if importing is not None:
            seen.add(str(importing))
        results: list[Resolved] = []
        for index, ref in enumerate(references):
            if limits is not None and (why := limits.take()) is not None:
                results.append(_not_resolved(ref, len(references) - index, why, unread))
                break
            if ref.kind == "variable":
                results.append(self._variable(ref, counter, variables, seen))
            elif ref.kind == "url":
                results.append(self._url(ref, counter, seen))
            else:
                results.append(self._file(ref, base_dir, counter, seen, importing, limits))
        return results

    def _variable(
        self, ref: Reference, counter: Counter, variables: Mapping[str, str], seen: set[str]
    ) -> Resolved:
        key = f"var:{ref.target}"
        if ref.target not in variables:
            return Resolved(
                ref, "unbound", target=ref.target, error="unbound variable — not counted"
            )
        value = str(variables[ref.target])
        duplicate = key in seen
        seen.add(key)
        return _counted_text(
            ref, counter.count(value), value, len(value.encode()), duplicate=duplicate
        )

    def _url(self, ref: Reference, counter: Counter, seen: set[str]) -> Resolved:
        source = self._urls() if self._urls is not None else None
        if source is None:
            return Resolved(
                ref, "error", target=ref.target, error="URL references are not resolved here"
            )
        if ref.target in seen:
            return Resolved(ref, "ok", target=ref.target, duplicate=True)
        try:
            fetched = source.lookup(ref.target)
        except Exception as exc:  # a broken rate store or event loop must not break counting
            return Resolved(ref, "error", target=ref.target, error=f"cannot fetch: {exc}")
        if fetched is None:
            return Resolved(ref, "pending", target=ref.target)
        if fetched.error is not None:
            return Resolved(ref, "error", target=ref.target, error=fetched.error)
        seen.add(ref.target)
        count, source = self.count_text(fetched.text, counter)
        return _counted_text(
            ref, count, fetched.text, fetched.size, source=source, fetch=fetched.source
        )

    def count_text(self, text: str, counter: Counter) -> tuple[Count, Source]:
        """A content-keyed count of any text (fetched bodies, large values)."""
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        found = cached_count(self.cache, counter, digest)
        if found is not None:
            return found
        count = counter.count(text, cache=False)
        store_count(self.cache, counter, digest, count)
        return count, "fresh"

    def _file(
        self,
        ref: Reference,
        base_dir: Path,
        counter: Counter,
        seen: set[str],
        importing: Path | None,
        limits: ReferenceLimits | None = None,
    ) -> Resolved:
        try:
            path = resolve_path(ref.target, base_dir, self.policy)
        except ReferenceRefused as exc:
            return Resolved(ref, "error", target=ref.target, error=str(exc))
        if str(path) in seen:
            is_self = importing is not None and path == importing
            if is_self:
                return Resolved(ref, "error", target=str(path), error="a file cannot import itself")
            return Resolved(ref, "ok", target=str(path), duplicate=True)
        seen.add(str(path))
        try:
            count, facts, source = self.count_file(path, counter)
        except ReferenceRefused as exc:
            return Resolved(ref, "error", target=str(path), error=str(exc))
        result = Resolved(
            ref,
            "ok",
            count.tokens,
            count.exact,
            str(path),
            source=source,
            size=facts.size,
            lines=facts.lines,
        )
        if ref.syntax == "at_import":
            self._follow_imports(result, path, counter, seen, [path], 1, limits)
        return result

    def _follow_imports(
        self,
        result: Resolved,
        path: Path,
        counter: Counter,
        seen: set[str],
        chain: list[Path],
        depth: int,
        limits: ReferenceLimits | None = None,
    ) -> None:
        for target in self._imports_of(path):
            try:
                child = resolve_path(target, path.parent, self.policy)
            except ReferenceRefused as exc:
                result.error = result.error or f"in {path.name}: {exc}"
                continue
            if child in chain:
                loop = " → ".join(p.name for p in [*chain, child])
                result.error = result.error or f"import cycle: {loop}"
                continue
            if str(child) in seen:
                continue
            if depth >= MAX_IMPORT_DEPTH:
                result.error = (
                    result.error
                    or f"imports nested deeper than {MAX_IMPORT_DEPTH} hops are not followed"
                )
                continue
            if limits is not None and (why := limits.take()) is not None:
                result.error = result.error or f"further imports are not followed: {why}"
                return
            seen.add(str(child))
            try:
                count, _facts, _ = self.count_file(child, counter)
            except ReferenceRefused as exc:
                result.error = result.error or f"in {path.name}: {exc}"
                continue
            result.tokens += count.tokens
            result.exact = result.exact and count.exact
            result.imports.append(str(child))
            self._follow_imports(result, child, counter, seen, [*chain, child], depth + 1, limits)

    def _imports_of(self, path: Path) -> list[str]:
        facts = self._facts(path)
        if facts.digest in self._imports:
            return self._imports[facts.digest]
        with open_safely(path, self.policy) as (fd, _):
            data = b"".join(read_chunks_fd(fd, self.policy.max_bytes))
        lines = split_lines(decode_bytes(data, DecodeReport()))
        imports = parse_references(lines, {"at_import"}, limit=MAX_PARSED_REFERENCES)
        targets = [r.target for r in imports]
        self._imports[hashlib.sha256(data).hexdigest()] = targets  # keyed by what was parsed
        return targets

    def count_file(self, path: Path, counter: Counter) -> tuple[Count, FileFacts, Source]:
        """The count of a resolved file: from its stat key, its digest, or fresh.

        A fresh count is stored under the digest of the very bytes it counted (hashed in the
        same pass), so a save between two reads can never file one text's count under
        another's digest.
        """
        facts = self._facts(path)
        if facts.binary:
            raise ReferenceRefused(f"{path.name} is a binary file")
        found = cached_count(self.cache, counter, facts.digest)
        if found is not None:
            return found[0], facts, found[1]
        with open_safely(path, self.policy) as (fd, info):
            scan = FileScan()
            chunks = scan.feed(read_chunks_fd(fd, self.policy.max_bytes))
            count = counter.count_stream(decode_chunks(chunks, DecodeReport()))
            facts = self._remember_facts(path, info, fd, scan)
        if facts.binary:
            raise ReferenceRefused(f"{path.name} is a binary file")
        store_count(self.cache, counter, facts.digest, count)
        return count, facts, "fresh"

    def _facts(self, path: Path) -> FileFacts:
        with open_safely(path, self.policy) as (fd, info):
            cached, _ = self.cache.get(stat_key(path, info))
            known = FileFacts.from_stored(cached)
            if known is not None:
                return known
            scan = FileScan()
            for _chunk in scan.feed(read_chunks_fd(fd, self.policy.max_bytes)):
                pass
            return self._remember_facts(path, info, fd, scan)

    def _remember_facts(
        self, path: Path, info: os.stat_result, fd: int, scan: FileScan
    ) -> FileFacts:
        """The facts of the bytes just scanned; filed under the stat key only if the file's
        size and mtime did not change while it was read."""
        facts = scan.facts()
        after = os.fstat(fd)
        if (after.st_size, after.st_mtime_ns) == (info.st_size, info.st_mtime_ns):
            self.cache.put(stat_key(path, info), facts.stored())
        return facts


def _not_resolved(ref: Reference, left: int, why: str, unread: bool) -> Resolved:
    """The first reference past a document's limits, standing for all that are left."""
    after = f", nor the {left - 1:,} after it" if left > 1 else ""
    if unread:
        after += f", nor any past the first {MAX_PARSED_REFERENCES:,} (those are not read)"
    error = f"not resolved{after}: {why}"
    return Resolved(ref, "error", target=ref.target, error=error, left_unresolved=left)


def _counted_text(ref: Reference, count: Count, text: str, size: int, **extra: Any) -> Resolved:
    """A resolved variable value or URL body: counted text with its size and lines."""
    return Resolved(
        ref,
        "ok",
        count.tokens,
        count.exact,
        ref.target,
        size=size,
        lines=len(split_lines(text)),
        **extra,
    )
