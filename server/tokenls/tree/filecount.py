"""Counting whole files: streamed, exact, remembered (a tree of them: ``tree_count``).

Each file is stat-ed once and read once; an unchanged file is answered from the cache
(``tokenls.tree.known_files``). Big files stream in ~1 MiB chunks cut at exact positions, so a
50 MB log counts in bounded memory and still equals tiktoken's count of the whole file.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path
from typing import Any

from tokenls.engine.counting import Count, Counter
from tokenls.files.reading import (
    CHUNK_BYTES,
    SNIFF_BYTES,
    DecodeReport,
    decode_bytes,
    decode_chunks,
    is_binary,
    read_file,
)
from tokenls.files.regular import NotRegularFile, kind_of, open_regular
from tokenls.tree.encode_ahead import Ahead
from tokenls.tree.known_files import KnownFile, KnownFiles
from tokenls.tree.prompts import PROMPT_MAX_BYTES, PromptChecker


@dataclass(frozen=True, slots=True)
class FileCount:
    """The outcome for one path: a count, a skip (binary, or ``skipped``: not a regular
    file, found by a walk) or an error. ``oversized``: a prompt too big to read whole,
    counted as plain text without its references."""

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
    skipped: str | None = None  # why a file a walk found was not read (a FIFO, a device)
    encoding: str | None = None  # the tokenizer that counted it
    model: str | None = None  # the model it was counted for, when one applies

    @property
    def own_tokens(self) -> int:
        """Tokens of the file's own text, without what its references add."""
        counted = self.own or self.count
        return counted.tokens if counted else 0


def count_file(
    path: Path,
    counter: Counter,
    prompts: PromptChecker | None = None,
    known: KnownFiles | None = None,
) -> FileCount:
    """Count one file; never raises for file-system trouble, it reports it. With ``known``,
    an unchanged file is answered from the cache and new counts are remembered. Under a
    model counted by its provider (``prompts``), the encoding's count becomes the model's."""
    if prompts is not None and prompts.is_prompt(path):
        return count_prompt(path, counter, prompts, known=known)
    result = _count_known(path, counter, known)
    if result.count is None:
        return result
    result = replace(result, encoding=counter.encoding_name)
    if prompts is None:
        return result
    try:
        model = prompts.choice(path).model
        count, reason = prompts.model_count(path, result.count)
    except NotRegularFile as exc:
        return FileCount(path, skipped=exc.strerror)
    except OSError as exc:
        return FileCount(path, error=exc.strerror or str(exc))
    return replace(result, count=count, reason=reason, model=model)


def _count_known(path: Path, counter: Counter, known: KnownFiles | None) -> FileCount:
    """The encoding's count of a plain file, from ``known`` when the file is unchanged."""
    step = known_ahead(path, lambda: counter, known)
    return step.work() if isinstance(step, Ahead) else step


def known_ahead(
    path: Path,
    encoder: Callable[[], Counter],
    known: KnownFiles | None,
    info: os.stat_result | None = None,
) -> FileCount | Ahead[FileCount]:
    """``_count_known`` up to the encoding: stat, cache, read, hash and decode happen here;
    the returned work encodes and remembers the count (a big file is read there too, as it
    streams). ``encoder`` gives the counter to encode with, asked on the thread that
    encodes: a counter serves one thread. ``info``: the file's stat, when the caller has it."""
    try:
        if info is None:
            info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return FileCount(path, skipped=f"{kind_of(info.st_mode)}, not a regular file")
        remembered = known.by_stat(path, info) if known is not None else None
        if remembered is not None:
            return _from_known(path, remembered)
        if info.st_size >= CHUNK_BYTES:
            return Ahead(lambda: _read_and_count(path, info, encoder, known), info.st_size)
        read = _count_plain(path, encoder, known)
    except NotRegularFile as exc:  # swapped for a FIFO or a device since its stat
        return FileCount(path, skipped=exc.strerror)
    except OSError as exc:
        return FileCount(path, error=exc.strerror or str(exc))
    if isinstance(read, Ahead):
        encode = read.work
        return Ahead(lambda: _remembered(path, info, known, *encode()), read.chars)
    return _remembered(path, info, known, *read)


def _read_and_count(
    path: Path, info: os.stat_result, encoder: Callable[[], Counter], known: KnownFiles | None
) -> FileCount:
    try:
        read = _count_plain(path, encoder, known)
        counted = read.work() if isinstance(read, Ahead) else read
    except NotRegularFile as exc:
        return FileCount(path, skipped=exc.strerror)
    except OSError as exc:
        return FileCount(path, error=exc.strerror or str(exc))
    return _remembered(path, info, known, *counted)


def _remembered(
    path: Path,
    info: os.stat_result,
    known: KnownFiles | None,
    result: FileCount,
    digest: str | None,
) -> FileCount:
    if known is not None and digest is not None:
        known.remember(
            path,
            info,
            KnownFile(digest, result.count, result.size, result.chars, result.decode_errors),
        )
    return result


def _from_known(path: Path, known: KnownFile) -> FileCount:
    if known.count is None:
        return FileCount(path, size=known.size, binary=True)
    return FileCount(path, known.count, known.size, known.chars, known.decode_errors)


Read = tuple[FileCount, str | None]  # a file's count and content digest


def _count_plain(
    path: Path, encoder: Callable[[], Counter], known: KnownFiles | None
) -> Read | Ahead[Read]:
    """The file's count and content digest, reading it once (big files stream). A small
    file is read, hashed and decoded here and its encoding returned as work to run; a big
    one is encoded here, with the counter ``encoder`` gives this thread."""
    with open_regular(path) as handle:
        head = handle.read(CHUNK_BYTES)
        digest = hashlib.sha256(head)
        if b"\0" in head[:SNIFF_BYTES]:
            return FileCount(path, size=os.fstat(handle.fileno()).st_size, binary=True), (
                digest.hexdigest() if len(head) < CHUNK_BYTES else None
            )
        report = DecodeReport()
        if len(head) < CHUNK_BYTES:  # the whole file: its content may have been counted
            hexdigest = digest.hexdigest()
            same = known.by_digest(path, hexdigest, len(head)) if known is not None else None
            if same is not None:
                return _from_known(path, same), hexdigest
            text = decode_bytes(head, report)
            size, replaced = len(head), report.replaced

            def encode() -> Read:
                count = encoder().count_stream([text])
                return FileCount(path, count, size, len(text), replaced), hexdigest

            return Ahead(encode, len(text))
        size = chars = 0

        def chunks() -> Iterator[bytes]:
            nonlocal size
            for chunk in chain([head], iter(lambda: handle.read(CHUNK_BYTES), b"")):
                size += len(chunk)
                digest.update(chunk)
                yield chunk

        def texts() -> Iterator[str]:
            nonlocal chars
            for text in decode_chunks(chunks(), report):
                chars += len(text)
                yield text

        count = encoder().count_stream(texts())
    return FileCount(path, count, size, chars, report.replaced), digest.hexdigest()


def count_prompt(
    path: Path,
    counter: Counter,
    prompts: PromptChecker,
    data: bytes | None = None,
    known: KnownFiles | None = None,
) -> FileCount:
    try:
        if data is None:
            size = path.stat().st_size
            if not path.is_file() or size > PROMPT_MAX_BYTES or is_binary(path):
                # A plain file, its references not read: remembered like any other file.
                plain = _count_known(path, counter, known)
                if plain.count is not None:
                    count, reason = prompts.model_count(path, plain.count)
                    model = prompts.choice(path).model
                    plain = replace(
                        plain,
                        count=count,
                        reason=reason,
                        encoding=counter.encoding_name,
                        model=model,
                    )
                return replace(plain, oversized=size > PROMPT_MAX_BYTES and plain.count is not None)
            data = read_file(path)
    except NotRegularFile as exc:
        return FileCount(path, skipped=exc.strerror)
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
        encoding=report.encoding,
        model=report.model,
    )


def labelled(result: FileCount, counter: Counter, model: str | None) -> FileCount:
    """A plain file's result with what counted it (nothing to label on a skip or error)."""
    if result.count is None:
        return result
    return FileCount(
        result.path,
        result.count,
        result.size,
        result.chars,
        result.decode_errors,
        encoding=counter.encoding_name,
        model=model,
    )
