"""``tokenls compress``: reading, progress, atomic output and statistics."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tokenls.cache import TokenCache, default_cache_dir
from tokenls.compress import CompressResult, ErrorMemory, ProfileError, compress
from tokenls.compress.baseline import head_tail
from tokenls.config import load_config_for
from tokenls.engine.counting import BATCH_MAX_EXACT, Counter
from tokenls.files import DecodeReport, decode_chunks

EXIT_USAGE = 2


def run_compress(args: argparse.Namespace) -> int:
    if args.budget < 1:
        print("tokenls: --budget must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    source = Path(args.log) if args.log != "-" else None
    settings, _ = load_config_for(source or Path.cwd())
    encoding = args.encoding or settings.encoding
    counter = Counter(encoding, max_exact=BATCH_MAX_EXACT)
    custom = _custom_profiles(source)
    memory = None if args.no_memory else ErrorMemory(TokenCache(_cache_dir(settings.cache_dir)))
    try:
        size = source.stat().st_size if source else 0
        chunks = _chunks(source, size)
        if sys.stderr.isatty() and size > 4 * 1024 * 1024:
            result = _with_progress(chunks, size, args, counter, custom, memory)
        else:
            result = _compress(chunks, args, counter, custom, memory)
    except ProfileError as exc:
        print(f"tokenls: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"tokenls: {args.log}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.output is not None:
        _write_atomically(args.output, result.text)
    elif not args.json:
        sys.stdout.write(result.text)
    stats = result.stats()
    if args.compare:
        stats["naive_head_tail"] = _naive(source, args.budget, counter, result)
    if args.json:
        print(json.dumps(stats, ensure_ascii=False))
    else:
        _summary(result, stats.get("naive_head_tail"))
    return 0


def _chunks(source: Path | None, size: int) -> Iterator[str]:
    # Bigger inputs read in bigger chunks: fewer calls, still bounded memory.
    chunk = min(max(size // 64, 64 * 1024), 1024 * 1024)
    report = DecodeReport()
    if source is None:
        stream = sys.stdin.buffer
        yield from decode_chunks(iter(lambda: stream.read(chunk), b""), report)
        return
    with source.open("rb") as handle:
        yield from decode_chunks(iter(lambda: handle.read(chunk), b""), report)


def _compress(chunks, args, counter, custom, memory, on_chunk=None) -> CompressResult:  # type: ignore[no-untyped-def]
    # Counting every input token is the slowest part of a big log: only when it is shown.
    return compress(
        chunks,
        args.budget,
        counter,
        profile=args.profile,
        custom_profiles=custom,
        memory=memory,
        on_chunk=on_chunk,
        count_input=args.json or args.compare,
    )


def _with_progress(chunks, size, args, counter, custom, memory) -> CompressResult:  # type: ignore[no-untyped-def]
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
        return _compress(chunks, args, counter, custom, memory, lambda n: progress.advance(task, n))


def _write_atomically(path: Path, text: str) -> None:
    """Write a temp file beside the target and rename it: a kill leaves no partial file."""
    path = path.resolve()
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


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
    print(
        f"tokenls: {source} → {result.output_tokens:,} tokens (budget {result.budget:,}), "
        f"{result.kept_lines:,} of {result.input_lines:,} lines represented, "
        f"{result.failures:,} failures, profile {chosen}",
        file=sys.stderr,
    )
    for note in result.notes:
        print(f"tokenls: {note}", file=sys.stderr)
    if isinstance(naive, dict) and "failure_lines_kept" in naive:
        print(
            f"tokenls: naive head+tail keeps {naive['failure_lines_kept']}/"
            f"{naive['failure_lines_total']} failure lines in the same budget",
            file=sys.stderr,
        )


def _custom_profiles(source: Path | None) -> dict[str, object]:
    from tokenls.config import find_config

    found = find_config(source or Path.cwd())
    if found is None:
        return {}
    table = found.table.get("compress", {})
    profiles = table.get("profiles", {}) if isinstance(table, dict) else {}
    return profiles if isinstance(profiles, dict) else {}


def _cache_dir(configured: str | None) -> Path:
    return Path(configured).expanduser() if configured else default_cache_dir()
