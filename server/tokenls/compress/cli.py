"""``tokenls compress``: reading, progress, atomic output and statistics."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tokenls.cache import TokenCache, default_cache_dir
from tokenls.compress import CompressResult, ErrorMemory, ProfileError, compress
from tokenls.compress.baseline import head_tail
from tokenls.config import Settings, load_config_for, workspace_root
from tokenls.engine.counting import BATCH_MAX_EXACT, Counter
from tokenls.engine.encodings import DEFAULT_ENCODING, ENCODINGS
from tokenls.files import SNIFF_BYTES, STDIN, DecodeReport, decode_chunks
from tokenls.output_file import write_output
from tokenls.terminal import EXIT_OK, Terminal, UsageError, say

# Below this even the one-line summary of what was left out cannot fit.
MIN_BUDGET = 32


def compression_encoding(settings: Settings) -> str:
    """The configured encoding when it is tiktoken's: compression's budgets add up counts of
    lines, which only tiktoken's cut rule makes exact; a tokenizer file falls back to the
    default."""
    return settings.encoding if settings.encoding in ENCODINGS else DEFAULT_ENCODING


def run_compress(args: argparse.Namespace, terminal: Terminal) -> int:
    if args.budget < MIN_BUDGET:
        raise UsageError(
            f"--budget {args.budget} is below the minimum of {MIN_BUDGET} tokens "
            "(room for at least the line saying what was left out)"
        )
    if args.json and args.output == STDIN:
        raise UsageError("--json and -o - would both write to standard output")
    source = Path(args.log) if args.log != STDIN else None
    settings, _ = load_config_for(source or Path.cwd())
    counter = Counter(args.encoding or compression_encoding(settings), max_exact=BATCH_MAX_EXACT)
    table = _compress_table(settings)
    custom = table.get("profiles", {})
    remember = args.memory if args.memory is not None else table.get("memory") is True
    memory = None
    if remember:  # in a directory of its own, never the workspace (tokenls.owned_cache)
        workspace = workspace_root(source or Path.cwd())
        memory = ErrorMemory(TokenCache(_cache_dir(settings.cache_dir), workspaces=[workspace]))
    baseline = _baseline(args.baseline) if args.baseline else None
    try:
        size = source.stat().st_size if source else 0
        chunks = _chunks(source, size)
        options = {"memory": memory, "baseline": baseline, "custom": custom}
        if not terminal.quiet and sys.stderr.isatty() and size > 4 * 1024 * 1024:
            result = _with_progress(chunks, size, args, counter, options)
        else:
            result = _compress(chunks, args, counter, options)
    except ProfileError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot read: {exc.strerror or exc}", args.log) from None
    if args.output not in (None, STDIN):
        write_output(args.output, result.text)
    elif not args.json:
        terminal.write(result.text)
    stats = result.stats()
    if args.compare:
        stats["naive_head_tail"] = _naive(source, args.budget, counter, result)
    if args.json:
        terminal.json(stats)
    elif not terminal.quiet:
        _summary(result, stats.get("naive_head_tail"))
    return EXIT_OK


def _chunks(source: Path | None, size: int) -> Iterator[str]:
    """The decoded input; a NUL byte in its first 8 KiB means it is no log (as git and
    grep decide), refused before anything is compressed."""
    # Bigger inputs read in bigger chunks: fewer calls, still bounded memory.
    chunk = min(max(size // 64, 64 * 1024), 1024 * 1024)
    handle: BinaryIO = sys.stdin.buffer if source is None else source.open("rb")
    first = handle.read(max(chunk, SNIFF_BYTES))
    if b"\0" in first[:SNIFF_BYTES]:
        if source is not None:
            handle.close()
        raise UsageError(
            "binary input, not a log (a NUL byte near the start)", str(source or STDIN)
        )

    def raw() -> Iterator[bytes]:
        try:
            yield first
            yield from iter(lambda: handle.read(chunk), b"")
        finally:
            if source is not None:
                handle.close()

    return decode_chunks(raw(), DecodeReport())


def _baseline(path: str) -> list[str]:
    """The passing log's visible lines: its shapes are all that is compared."""
    from tokenls.compress.held import visible_lines

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the baseline: {exc.strerror or exc}", path) from None
    return visible_lines(data.decode("utf-8", "replace"))


def _compress(chunks, args, counter, options, on_chunk=None) -> CompressResult:  # type: ignore[no-untyped-def]
    # Counting every input token is the slowest part of a big log: only when it is shown.
    return compress(
        chunks,
        args.budget,
        counter,
        profile=args.profile,
        custom_profiles=options["custom"],
        baseline=options["baseline"],
        memory=options["memory"],
        keep_ansi=args.keep_ansi,
        on_chunk=on_chunk,
        count_input=args.json or args.compare,
    )


def _with_progress(chunks, size, args, counter, options) -> CompressResult:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    with Progress(
        "compressing",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("compress", total=size)
        return _compress(chunks, args, counter, options, lambda n: progress.advance(task, n))


def _naive(
    source: Path | None, budget: int, counter: Counter, result: CompressResult
) -> dict[str, object]:
    if source is None:
        return {"available": False, "reason": "standard input was consumed"}
    with source.open("rb") as handle:
        text = handle.read().decode("utf-8", "replace")
    naive = head_tail(text, budget, counter)
    return {
        "output_tokens": naive.tokens,
        "kept_lines": naive.kept_lines,
        "dropped_lines": naive.dropped_lines,
        "failure_lines_kept": naive.failure_lines_kept,
        "failure_lines_total": naive.failure_lines_total,
    }


def _summary(result: CompressResult, naive: object) -> None:
    chosen = f"{result.profile} (auto)" if result.profile_auto else result.profile
    source = (
        f"{result.input_tokens:,} tokens ({result.input_tokens / max(result.output_tokens, 1):.1f}×)"
        if result.input_tokens >= 0
        else f"{result.input_lines:,} lines"
    )
    say(
        f"{source} → {result.output_tokens:,} tokens (budget {result.budget:,}), "
        f"{result.kept_lines:,} of {result.input_lines:,} lines represented, "
        f"{result.failures:,} failures, profile {chosen}"
    )
    for note in result.notes:
        say(note)
    if isinstance(naive, dict) and "failure_lines_kept" in naive:
        say(
            f"naive head+tail keeps {naive['failure_lines_kept']}/"
            f"{naive['failure_lines_total']} failure lines in the same budget"
        )


def _compress_table(settings: Settings) -> dict[str, object]:
    """The settings' ``[compress]`` table: ``memory`` and ``[compress.profiles.NAME]``."""
    table = dict(settings.compress)
    if not isinstance(table.get("profiles", {}), dict):
        table["profiles"] = {}
    return table


def _cache_dir(configured: str | None) -> Path:
    return Path(configured).expanduser() if configured else default_cache_dir()
