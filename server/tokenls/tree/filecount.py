"""Counting whole files and trees: streamed, exact, remembered, and threaded where it pays.

Each file is stat-ed once and read once; an unchanged file is answered from the cache
(``tokenls.tree.known_files``). Big files stream in ~1 MiB chunks cut at exact positions, so a
50 MB log counts in bounded memory and still equals tiktoken's count of the whole file.
tiktoken releases the GIL while it encodes, so on machines with more than two cores a
thread pool spreads the files over them without copying the encoding into processes.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path
from typing import Any

from tokenls.engine.counting import BATCH_MAX_EXACT, FAST_CHARS, Count, Counter
from tokenls.engine.tokenizer_files import make_counter
from tokenls.files.reading import (
    CHUNK_BYTES,
    SNIFF_BYTES,
    STDIN,
    DecodeReport,
    Found,
    decode_bytes,
    decode_chunks,
    is_binary,
    read_file,
    walk,
)
from tokenls.files.regular import NotRegularFile, kind_of, open_regular
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
        return _count_prompt(path, counter, prompts, known=known)
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
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return FileCount(path, skipped=f"{kind_of(info.st_mode)}, not a regular file")
        remembered = known.by_stat(path, info) if known is not None else None
        if remembered is not None:
            return _from_known(path, remembered)
        result, digest = _count_plain(path, counter, known)
    except NotRegularFile as exc:  # swapped for a FIFO or a device since its stat
        return FileCount(path, skipped=exc.strerror)
    except OSError as exc:
        return FileCount(path, error=exc.strerror or str(exc))
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


def _count_plain(
    path: Path, counter: Counter, known: KnownFiles | None
) -> tuple[FileCount, str | None]:
    """The file's count and content digest, reading it once (big files stream)."""
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
            count = counter.count_stream([text])
            return FileCount(path, count, len(head), len(text), report.replaced), hexdigest
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

        count = counter.count_stream(texts())
    return FileCount(path, count, size, chars, report.replaced), digest.hexdigest()


def _count_prompt(
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


def named_special(reason: str) -> str:
    """Why a named FIFO or device is refused, and what to do instead."""
    return f"{reason} (to read a stream, pipe it to standard input: -)"


def count_stdin(
    counter: Counter, prompts: PromptChecker | None = None, name: str | None = None
) -> FileCount:
    """Count standard input, streamed; with ``name`` (``--stdin-filename``) a prompt-like
    name is counted as that prompt, its references resolved from where it would live.
    Under an estimated model the text is kept (up to the prompt limit) for its estimate."""
    stream = sys.stdin.buffer
    first = stream.read(CHUNK_BYTES)
    shown = Path(name) if name else Path(STDIN)
    if b"\0" in first[:SNIFF_BYTES]:
        return FileCount(shown, size=len(first), binary=True)
    oversized = False
    pieces: Iterable[bytes] = chain([first], iter(lambda: stream.read(CHUNK_BYTES), b""))
    if name and prompts is not None and prompts.is_prompt(Path(name)):
        data = first + stream.read()
        if len(data) <= PROMPT_MAX_BYTES:
            return _count_prompt(Path(name), counter, prompts, data)
        pieces, oversized = [data], True  # too big to read whole: counted as plain text
    where = stdin_stands_for(name)
    choice = prompts.choice(where) if prompts is not None else None
    kept: list[bytes] | None = [] if choice is not None and choice.ratio is not None else None
    report = DecodeReport()
    size = chars = 0

    def texts() -> Iterator[str]:
        nonlocal size, chars
        for text in decode_chunks(_sized(pieces), report):
            chars += len(text)
            yield text

    def _sized(chunks: Iterable[bytes]) -> Iterator[bytes]:
        nonlocal size, kept
        for chunk in chunks:
            size += len(chunk)
            if kept is not None and size > PROMPT_MAX_BYTES:
                kept = None  # too large to send: estimated from its local count
            if kept is not None:
                kept.append(chunk)
            yield chunk

    count = counter.count_stream(texts())
    result = FileCount(
        shown,
        count,
        size,
        chars,
        report.replaced,
        oversized=oversized,
        encoding=counter.encoding_name,
        model=choice.model if choice is not None else None,
    )
    if prompts is None or choice is None or choice.ratio is None:
        return result
    data = b"".join(kept) if kept is not None else None
    estimated, reason = prompts.model_count(where, count, data, None if data is not None else size)
    return replace(result, count=estimated, reason=reason)


def stdin_stands_for(name: str | None) -> Path:
    """The file standard input is counted as: ``--stdin-filename``'s, else one in the
    working directory (its config and choice apply)."""
    return Path(name) if name else Path.cwd() / STDIN


def default_workers() -> int:
    """Threads for a tree: on two cores (often one physical core's two threads) a second
    encoding thread measured no faster and 25% more CPU, so one; more on bigger machines."""
    cores = os.cpu_count() or 1
    return 1 if cores <= 2 else min(cores, 8)


def _bytes_to_read(found: list[Found], known: KnownFiles | None, enough: int) -> int:
    """Bytes of the files the cache cannot answer by their stat, summed until ``enough``:
    the counting engine is chosen for that volume (standard input chooses as it streams)."""
    total = 0
    for item in found:
        if item.stdin or item.error is not None:
            continue
        try:
            info = item.path.stat()
        except OSError:
            continue
        if known is None or known.by_stat(item.path, info) is None:
            total += info.st_size
            if total >= enough:
                break
    return total


def count_paths(
    paths: Iterable[str | Path],
    encoding: str,
    *,
    workers: int | None = None,
    on_done: Callable[[FileCount], None] | None = None,
    prompts: PromptChecker | None = None,
    ignore: bool = True,
    stdin_name: str | None = None,
    known: KnownFiles | None = None,
) -> list[FileCount]:
    """Count every file under ``paths`` (walked with git's ignore rules unless ``ignore`` is
    false; ``-`` is standard input), in walk order. Each file is counted with its folder's
    choice of tokenizer (``prompts``; without it, ``encoding``). With ``known``, unchanged
    files come from the cache and what was counted is written back once, at the end."""
    found: list[Found] = list(walk(paths, ignore=ignore))
    workers = workers or default_workers()
    counters: dict[tuple[int, str], Counter] = {}
    knowns: dict[str, KnownFiles] = {}
    lock = threading.Lock()

    def expect() -> int:  # asked only when a file must be read: an unchanged tree skips it
        return _bytes_to_read(found, known, FAST_CHARS)

    def counter_for(item: Found) -> Counter:
        chosen = encoding
        if prompts is not None:
            where = stdin_stands_for(stdin_name) if item.stdin else item.path
            chosen = prompts.choice(where).encoding
        # One counter per thread and encoding: its piece cache is not shared across threads.
        key = (threading.get_ident(), chosen)
        counter = counters.get(key)
        if counter is None:
            counter = counters[key] = make_counter(chosen, max_exact=BATCH_MAX_EXACT, expect=expect)
            ours = (counter.cache_id, counter.max_exact)
            theirs = (known.counter_id, known.max_exact) if known is not None else ours
            if chosen == encoding and theirs != ours:
                raise ValueError(f"remembered counts of {theirs[0]}, not {encoding}")
        return counter

    def known_for(counter: Counter) -> KnownFiles | None:
        """The remembered counts of this counter's files (another encoding's beside ``known``)."""
        if known is None or known.counter_id == counter.cache_id:
            return known
        with lock:
            other = knowns.get(counter.cache_id)
            if other is None:
                other = knowns[counter.cache_id] = KnownFiles(
                    known.cache, counter.cache_id, known.max_exact
                )
        return other

    def one(item: Found) -> FileCount:
        if item.error is not None:
            result = FileCount(item.path, error=item.error)
        else:
            counter = counter_for(item)
            if item.stdin:
                result = count_stdin(counter, prompts, stdin_name)
            else:
                result = count_file(item.path, counter, prompts, known_for(counter))
        if item.named and result.skipped:  # named on purpose: an error, not a quiet skip
            result = FileCount(item.path, error=named_special(result.skipped))
        if on_done is not None:
            on_done(result)
        return result

    try:
        if workers <= 1 or len(found) <= 1:
            return [one(item) for item in found]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(one, found))
    finally:
        for remembered in (known, *knowns.values()):
            if remembered is not None:
                remembered.flush()
