"""Counting whole files and trees: streamed, exact, and spread over every core.

tiktoken releases the GIL while it encodes, so a thread pool uses both cores without
copying the encoding into worker processes. Each file streams in ~1 MiB chunks cut at
exact positions, so a 50 MB log counts in bounded memory and still equals tiktoken's count
of the whole file.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path
from typing import Any

from tokenls.engine.counting import BATCH_MAX_EXACT, Count, Counter
from tokenls.engine.tokenizer_files import make_counter
from tokenls.files import (
    CHUNK_BYTES,
    SNIFF_BYTES,
    DecodeReport,
    Found,
    decode_chunks,
    is_binary,
    read_chunks,
    walk,
)
from tokenls.prompts import PROMPT_MAX_BYTES, PromptChecker


@dataclass(frozen=True, slots=True)
class FileCount:
    """The outcome for one path: a count, a skip (binary) or an error. ``oversized``: a
    prompt too big to read whole, counted as plain text without its references."""

    path: Path
    count: Count | None = None
    size: int = 0
    chars: int = 0
    decode_errors: bool = False
    binary: bool = False
    error: str | None = None
    own: Count | None = None  # set when the file's references were resolved
    references: list[dict[str, Any]] | None = None
    oversized: bool = False
    reason: str | None = None  # why the count is an estimate

    @property
    def own_tokens(self) -> int:
        """Tokens of the file's own text, without what its references add."""
        counted = self.own or self.count
        return counted.tokens if counted else 0


def count_file(path: Path, counter: Counter, prompts: PromptChecker | None = None) -> FileCount:
    """Count one file; never raises for file-system trouble, it reports it."""
    if prompts is not None and prompts.is_prompt(path):
        return _count_prompt(path, counter, prompts)
    try:
        if not path.is_file():
            return FileCount(path, error="not a regular file")
        size = path.stat().st_size
        if is_binary(path):
            return FileCount(path, size=size, binary=True)
        report = DecodeReport()
        chars = 0

        def chunks() -> Iterator[str]:
            nonlocal chars
            for chunk in read_chunks(path, report):
                chars += len(chunk)
                yield chunk

        count = counter.count_stream(chunks())
        reason = None
        if prompts is not None:
            count, reason = prompts.model_count(path, count)
    except OSError as exc:
        return FileCount(path, error=exc.strerror or str(exc))
    return FileCount(path, count, size, chars, report.replaced, reason=reason)


def _count_prompt(
    path: Path, counter: Counter, prompts: PromptChecker, data: bytes | None = None
) -> FileCount:
    try:
        if data is None:
            size = path.stat().st_size
            if not path.is_file() or size > PROMPT_MAX_BYTES or is_binary(path):
                plain = count_file(path, counter)  # counted as a plain file, references not read
                if plain.count is not None:
                    count, reason = prompts.model_count(path, plain.count)
                    plain = replace(plain, count=count, reason=reason)
                return replace(plain, oversized=size > PROMPT_MAX_BYTES and plain.count is not None)
            data = path.read_bytes()
    except OSError as exc:
        return FileCount(path, error=exc.strerror or str(exc))
    report = prompts.report(path, data)
    return FileCount(
        path,
        Count(report.tokens, report.exact, None if report.exact else report.tokens),
        len(data),
        report.chars,
        report.decode_errors,
        own=Count(report.own_tokens),
        references=report.references,
        reason=report.reason,
    )


def count_stdin(
    counter: Counter, prompts: PromptChecker | None = None, name: str | None = None
) -> FileCount:
    """Count standard input, streamed; with ``name`` (``--stdin-filename``) a prompt-like
    name is counted as that prompt, its references resolved from where it would live."""
    stream = sys.stdin.buffer
    first = stream.read(CHUNK_BYTES)
    shown = Path(name) if name else Path("-")
    if b"\0" in first[:SNIFF_BYTES]:
        return FileCount(shown, size=len(first), binary=True)
    oversized = False
    pieces: Iterable[bytes] = chain([first], iter(lambda: stream.read(CHUNK_BYTES), b""))
    if name and prompts is not None and prompts.is_prompt(Path(name)):
        data = first + stream.read()
        if len(data) <= PROMPT_MAX_BYTES:
            return _count_prompt(Path(name), counter, prompts, data)
        pieces, oversized = [data], True  # too big to read whole: counted as plain text
    report = DecodeReport()
    size = chars = 0

    def texts() -> Iterator[str]:
        nonlocal size, chars
        for text in decode_chunks(_sized(pieces), report):
            chars += len(text)
            yield text

    def _sized(chunks: Iterable[bytes]) -> Iterator[bytes]:
        nonlocal size
        for chunk in chunks:
            size += len(chunk)
            yield chunk

    count = counter.count_stream(texts())
    return FileCount(shown, count, size, chars, report.replaced, oversized=oversized)


def count_paths(
    paths: Iterable[str | Path],
    encoding: str,
    *,
    workers: int | None = None,
    on_done: Callable[[FileCount], None] | None = None,
    prompts: PromptChecker | None = None,
    ignore: bool = True,
    stdin_name: str | None = None,
) -> list[FileCount]:
    """Count every file under ``paths`` (walked with git's ignore rules unless ``ignore`` is
    false; ``-`` is standard input), in walk order."""
    found: list[Found] = list(walk(paths, ignore=ignore))
    workers = workers or min(os.cpu_count() or 1, 8)
    counters: dict[int, Counter] = {}

    def one(item: Found) -> FileCount:
        if item.error is not None:
            result = FileCount(item.path, error=item.error)
        else:
            # One counter per thread: its piece cache is not shared across threads.
            ident = threading.get_ident()
            counter = counters.get(ident)
            if counter is None:
                counter = counters[ident] = make_counter(encoding, max_exact=BATCH_MAX_EXACT)
            if item.stdin:
                result = count_stdin(counter, prompts, stdin_name)
            else:
                result = count_file(item.path, counter, prompts)
        if on_done is not None:
            on_done(result)
        return result

    if workers <= 1 or len(found) <= 1:
        return [one(item) for item in found]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, found))
