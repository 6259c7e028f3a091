"""Standard input counted as a file: streamed in bounded memory, or, named as a prompt with
``--stdin-filename``, counted as that prompt where it would live."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import chain
from pathlib import Path

from tokenls.engine.counting import Counter
from tokenls.files.reading import CHUNK_BYTES, SNIFF_BYTES, STDIN, DecodeReport, decode_chunks
from tokenls.tree.filecount import FileCount, count_prompt
from tokenls.tree.prompts import PROMPT_MAX_BYTES, PromptChecker


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
            return count_prompt(Path(name), counter, prompts, data)
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
