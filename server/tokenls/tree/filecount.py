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
from tokenls.tree.encode_ahead import Ahead, encode_ahead, read_ahead_pays
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
    step = _known_ahead(path, counter, known)
    return step.work() if isinstance(step, Ahead) else step


def _known_ahead(
    path: Path, counter: Counter, known: KnownFiles | None
) -> FileCount | Ahead[FileCount]:
    """``_count_known`` up to the encoding: stat, cache, read, hash and decode happen here;
    the returned work encodes and remembers the count (a big file is read there too, as it
    streams)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return FileCount(path, skipped=f"{kind_of(info.st_mode)}, not a regular file")
        remembered = known.by_stat(path, info) if known is not None else None
        if remembered is not None:
            return _from_known(path, remembered)
        if info.st_size >= CHUNK_BYTES:
            return Ahead(lambda: _read_and_count(path, info, counter, known), info.st_size)
        read = _count_plain(path, counter, known)
    except NotRegularFile as exc:  # swapped for a FIFO or a device since its stat
        return FileCount(path, skipped=exc.strerror)
    except OSError as exc:
        return FileCount(path, error=exc.strerror or str(exc))
    if isinstance(read, Ahead):
        encode = read.work
        return Ahead(lambda: _remembered(path, info, known, *encode()), read.chars)
    return _remembered(path, info, known, *read)


def _read_and_count(
    path: Path, info: os.stat_result, counter: Counter, known: KnownFiles | None
) -> FileCount:
    try:
        read = _count_plain(path, counter, known)
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


def _count_plain(path: Path, counter: Counter, known: KnownFiles | None) -> Read | Ahead[Read]:
    """The file's count and content digest, reading it once (big files stream). A small
    file is read, hashed and decoded here and its encoding returned as work to run."""
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
                count = counter.count_stream([text])
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
    files come from the cache and what was counted is written back once, at the end.

    With one worker (two cores or fewer) and a core idle, plain files are read ahead on
    this thread while one encoder thread encodes (``tokenls.tree.encode_ahead``); prompts,
    standard input and files counted for an estimated model run whole on that thread, in
    their turn."""
    found: list[Found] = list(walk(paths, ignore=ignore))
    workers = workers or default_workers()
    pooled = workers > 1 and len(found) > 1
    counters: dict[tuple[int, str], Counter] = {}
    knowns: dict[str, KnownFiles] = {}
    lock = threading.Lock()

    def expect() -> int:  # asked only when a file must be read: an unchanged tree skips it
        return _bytes_to_read(found, known, FAST_CHARS)

    def counter_for(chosen: str) -> Counter:
        # One counter per thread and encoding: its piece cache is not shared across threads.
        # Read ahead, every count runs on the one encoder thread, whoever made the counter.
        key = (threading.get_ident() if pooled else 0, chosen)
        counter = counters.get(key)
        if counter is None:
            with lock:
                counter = counters.get(key)
                if counter is None:
                    counter = make_counter(chosen, max_exact=BATCH_MAX_EXACT, expect=expect)
                    ours = (counter.cache_id, counter.max_exact)
                    theirs = (known.counter_id, known.max_exact) if known is not None else ours
                    if chosen == encoding and theirs != ours:
                        raise ValueError(f"remembered counts of {theirs[0]}, not {encoding}")
                    counters[key] = counter
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

    def whole(item: Found) -> FileCount:
        """One path counted from start to end on the calling thread."""
        if item.error is not None:
            return FileCount(item.path, error=item.error)
        where = stdin_stands_for(stdin_name) if item.stdin else item.path
        counter = counter_for(prompts.choice(where).encoding if prompts else encoding)
        if item.stdin:
            return count_stdin(counter, prompts, stdin_name)
        return count_file(item.path, counter, prompts, known_for(counter))

    def step(item: Found) -> FileCount | Ahead[FileCount]:
        """A plain file read here, its encoding left to the returned work; anything else
        (a prompt, standard input, a model counted by its provider) whole in the work."""
        if item.error is not None or item.stdin:
            return Ahead(lambda: whole(item))
        path = item.path
        model = None
        chosen = encoding
        if prompts is not None:
            if prompts.is_prompt(path):
                return Ahead(lambda: whole(item))
            try:
                choice = prompts.choice(path)
            except NotRegularFile as exc:
                return FileCount(path, skipped=exc.strerror)
            except OSError as exc:
                return FileCount(path, error=exc.strerror or str(exc))
            if choice.ratio is not None:  # the model's count is its provider's
                return Ahead(lambda: whole(item))
            chosen, model = choice.encoding, choice.model
        counter = counter_for(chosen)
        read = _known_ahead(path, counter, known_for(counter))
        if isinstance(read, Ahead):
            encode = read.work
            return Ahead(lambda: _labelled(encode(), counter, model), read.chars)
        return _labelled(read, counter, model)

    def now(item: Found) -> FileCount:
        done = step(item)
        return done.work() if isinstance(done, Ahead) else done

    def finished(item: Found, result: FileCount) -> FileCount:
        if item.named and result.skipped:  # named on purpose: an error, not a quiet skip
            result = FileCount(item.path, error=named_special(result.skipped))
        if on_done is not None:
            on_done(result)
        return result

    try:
        if len(found) <= 1 or (not pooled and not read_ahead_pays()):
            return [finished(item, now(item)) for item in found]
        if not pooled:
            ahead = encode_ahead(step(item) for item in found)
            return [finished(item, result) for item, result in zip(found, ahead, strict=True)]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as pool:
            return [
                finished(item, result)
                for item, result in zip(found, pool.map(now, found), strict=True)
            ]
    finally:
        for remembered in (known, *knowns.values()):
            if remembered is not None:
                remembered.flush()


def _labelled(result: FileCount, counter: Counter, model: str | None) -> FileCount:
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
