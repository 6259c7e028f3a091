"""Turning parsed references into counts: files through the cache, imports, variables.

A referenced file is counted once per document however often it is referenced. ``@path``
imports are followed into the imported files up to ``MAX_IMPORT_DEPTH`` hops, as Claude Code
does; a cycle is reported and each file on it is still counted once. Failures never raise:
they become a reference with ``status="error"`` and 0 tokens, and the rest still counts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from tokenls.cache import Source, TokenCache
from tokenls.engine.counting import Count, Counter
from tokenls.engine.text import split_lines
from tokenls.files import DecodeReport, decode_bytes, decode_chunks
from tokenls.references.files import (
    FilePolicy,
    ReferenceRefused,
    open_safely,
    read_chunks_fd,
    resolve_path,
)
from tokenls.references.parse import Reference, parse_references

if TYPE_CHECKING:
    from tokenls.references.urls import Fetched

MAX_IMPORT_DEPTH = 5
Status = Literal["ok", "error", "unbound", "pending"]


class UrlSource(Protocol):
    """Where URL bodies come from: ``None`` means not yet known (being fetched)."""

    def lookup(self, url: str) -> Fetched | None: ...


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What tokenls learnt about one file's content: its digest, size and line count."""

    digest: str
    size: int
    lines: int
    binary: bool
    decode_errors: bool


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
    ) -> list[Resolved]:
        seen: set[str] = set()
        if importing is not None:
            seen.add(str(importing))
        results: list[Resolved] = []
        for ref in references:
            if ref.kind == "variable":
                results.append(self._variable(ref, counter, variables, seen))
            elif ref.kind == "url":
                results.append(self._url(ref, counter, seen))
            else:
                results.append(self._file(ref, base_dir, counter, seen, importing))
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
        key = f"count:{counter.cache_id}:{digest}"
        cached, source = self.cache.get(key)
        if cached is not None and source is not None:
            return Count(*cached), source
        count = counter.count(text, cache=False)
        self.cache.put(key, (count.tokens, count.exact, count.upper))
        return count, "fresh"

    def _file(
        self,
        ref: Reference,
        base_dir: Path,
        counter: Counter,
        seen: set[str],
        importing: Path | None,
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
            self._follow_imports(result, path, counter, seen, [path], 1)
        return result

    def _follow_imports(
        self,
        result: Resolved,
        path: Path,
        counter: Counter,
        seen: set[str],
        chain: list[Path],
        depth: int,
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
            seen.add(str(child))
            try:
                count, _facts, _ = self.count_file(child, counter)
            except ReferenceRefused as exc:
                result.error = result.error or f"in {path.name}: {exc}"
                continue
            result.tokens += count.tokens
            result.exact = result.exact and count.exact
            result.imports.append(str(child))
            self._follow_imports(result, child, counter, seen, [*chain, child], depth + 1)

    def _imports_of(self, path: Path) -> list[str]:
        facts = self._facts(path)
        if facts.digest not in self._imports:
            with open_safely(path, self.policy) as (fd, _):
                data = b"".join(read_chunks_fd(fd, self.policy.max_bytes))
            lines = split_lines(decode_bytes(data, DecodeReport()))
            refs = parse_references(lines, {"at_import"})
            self._imports[facts.digest] = [r.target for r in refs]
        return self._imports[facts.digest]

    def count_file(self, path: Path, counter: Counter) -> tuple[Count, FileFacts, Source]:
        """The count of a resolved file: from its stat key, its digest, or fresh."""
        facts = self._facts(path)
        if facts.binary:
            raise ReferenceRefused(f"{path.name} is a binary file")
        key = f"count:{counter.cache_id}:{facts.digest}"
        cached, source = self.cache.get(key)
        if cached is not None and source is not None:
            tokens, exact, upper = cached
            return Count(tokens, exact, upper), facts, source
        with open_safely(path, self.policy) as (fd, _):
            chunks = read_chunks_fd(fd, self.policy.max_bytes)
            count = counter.count_stream(decode_chunks(chunks, DecodeReport()))
        self.cache.put(key, (count.tokens, count.exact, count.upper))
        return count, facts, "fresh"

    def _facts(self, path: Path) -> FileFacts:
        with open_safely(path, self.policy) as (fd, info):
            key = f"stat:{path}:{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"
            cached, _ = self.cache.get(key)
            if cached is not None:
                return FileFacts(*cached)
            digest = hashlib.sha256()
            lines = 0
            head = b""
            last = b""
            for chunk in read_chunks_fd(fd, self.policy.max_bytes):
                digest.update(chunk)
                lines += chunk.count(b"\n")
                if len(head) < 8192:
                    head += chunk[: 8192 - len(head)]
                last = chunk[-1:]
            if last and last != b"\n":
                lines += 1
            report = DecodeReport()
            decode_bytes(head, report)
            facts = FileFacts(
                digest.hexdigest(), info.st_size, lines, b"\0" in head, report.replaced
            )
        self.cache.put(
            key, (facts.digest, facts.size, facts.lines, facts.binary, facts.decode_errors)
        )
        return facts


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
