"""``tokenls compress``: reading, progress, atomic output and statistics."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO

from tokenls.cache.token_cache import TokenCache, default_cache_dir
from tokenls.compress import CompressResult, ErrorMemory, ProfileError, compress, options
from tokenls.compress.baseline import against, head_tail
from tokenls.compress.failures import Failures, Tally, stats_of
from tokenls.compress.options import MIN_BUDGET
from tokenls.compress.profiles import DEFAULT
from tokenls.config import Settings, find_config, load_config_for, workspace_root
from tokenls.engine.counting import BATCH_MAX_EXACT, Counter
from tokenls.files.reading import SNIFF_BYTES, STDIN, DecodeReport, decode_chunks
from tokenls.output.file import write_output
from tokenls.output.terminal import EXIT_OK, Terminal, UsageError, say

__all__ = ["MIN_BUDGET", "compression_encoding", "run_compress"]


def compression_encoding(settings: Settings) -> str:
    """The log's choice of encoding (``tokenls.workspace.choice``: a configured model's tokenizer, else
    the configured encoding) when it is tiktoken's: compression's budgets add up counts of
    lines, which only tiktoken's cut rule makes exact; a tokenizer file falls back to the
    default."""
    from tokenls.workspace.choice import choose, tiktoken_of

    return tiktoken_of(choose({}, settings))


def run_compress(args: argparse.Namespace, terminal: Terminal) -> int:
    source = Path(args.log) if args.log != STDIN else None
    start = _config_start(source)
    settings, _ = load_config_for(start)
    table = _compress_table(settings)
    chosen = options.resolve(args, table, options.settings_source(start))
    _check_options(args, chosen)
    encoding = chosen.encoding or compression_encoding(settings)
    counter = Counter(encoding, max_exact=BATCH_MAX_EXACT)
    memory = None
    if chosen.memory:  # in a directory of its own, never the workspace (tokenls.cache.owned)
        workspace = workspace_root(source or Path.cwd())
        memory = ErrorMemory(TokenCache(_cache_dir(settings.cache_dir), workspaces=[workspace]))
    passing = _baseline(chosen.baseline) if chosen.baseline else None
    result, tally = _compress_input(source, passing, memory, args, chosen, counter, terminal)
    if args.output not in (None, STDIN):
        write_output(args.output, result.text)
    elif not args.json:
        terminal.write(result.text)
    failures = tally.result()
    stats = stats_of(result, failures)
    if args.compare:
        stats["naive_head_tail"] = _naive(source, chosen.budget, counter, result)
    if args.json:
        terminal.json(stats)
    elif not terminal.quiet:
        _summary(result, failures, stats.get("naive_head_tail"))
    if getattr(args, "save_config", False):
        _save_config(args, start, terminal)
    return EXIT_OK


def _check_options(args: argparse.Namespace, chosen: options.Options) -> None:
    """A budget too small to hold anything, or two outputs on standard output: refused
    before anything is read."""
    if chosen.budget < MIN_BUDGET:
        raise UsageError(
            f"--budget {chosen.budget} is below the minimum of {MIN_BUDGET} tokens "
            "(room for at least the line saying what was left out)"
        )
    if args.json and args.output == STDIN:
        raise UsageError("--json and -o - would both write to standard output")


def _compress_input(
    source: Path | None,
    passing: list[str] | None,
    memory: ErrorMemory | None,
    args: argparse.Namespace,
    chosen: options.Options,
    counter: Counter,
    terminal: Terminal,
) -> tuple[CompressResult, Tally]:
    """The input compressed (with a progress bar for a big file on a terminal), and the
    tally of its failures; standard input is held on disk when a baseline reads it twice."""
    spooled = None
    try:
        size = source.stat().st_size if source else 0
        if passing is not None and source is None:  # read twice: held on disk, not in memory
            spooled = _spool(_chunks(None, 0))
        read = (lambda: _reread(spooled)) if spooled else (lambda: _chunks(source, size))
        baseline = against(passing, read()) if passing is not None else None
        tally = Tally()
        chunks = tally.tap(read())
        settings_of_run = {"memory": memory, "baseline": baseline, "custom": chosen.profiles}
        if not terminal.quiet and sys.stderr.isatty() and size > 4 * 1024 * 1024:
            return _with_progress(chunks, size, args, chosen, counter, settings_of_run), tally
        return _compress(chunks, args, chosen, counter, settings_of_run), tally
    except ProfileError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot read: {exc.strerror or exc}", args.log) from None
    finally:
        if spooled is not None:
            spooled.close()


def _save_config(args: argparse.Namespace, start: Path, terminal: Terminal) -> None:
    """``--save-config``: the options given, written to the ``[compress]`` table."""
    saved = options.given(args)
    if not saved:
        raise UsageError("--save-config: no option given to save (--budget, --baseline, …)")
    written = options.save(start, saved, Path.cwd())
    if not terminal.quiet:
        names = ", ".join(options.FLAGS[key] for key in saved)
        say(f"saved {names} to the [compress] table of {written}")


def _config_start(source: Path | None) -> Path:
    """Where a run's settings are looked up: from the log when a config file is above it,
    else from the current directory (a log downloaded elsewhere still gets the project's)."""
    if source is not None and find_config(source) is not None:
        return source
    return Path.cwd()


def _spool(chunks: Iterator[str]) -> IO[str]:
    """Standard input kept to be read twice (for a baseline), on disk past 8 MB."""
    spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed by the caller)
        max_size=8 * 1024 * 1024, mode="w+", encoding="utf-8", errors="surrogatepass"
    )
    for chunk in chunks:
        spool.write(chunk)
    return spool  # type: ignore[return-value]


def _reread(spool: IO[str]) -> Iterator[str]:
    spool.seek(0)
    return iter(lambda: spool.read(1024 * 1024), "")


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


def _compress(chunks, args, chosen, counter, run, on_chunk=None) -> CompressResult:  # type: ignore[no-untyped-def]
    # Counting every input token is the slowest part of a big log: only when it is shown.
    return compress(
        chunks,
        chosen.budget,
        counter,
        profile=chosen.profile,
        custom_profiles=run["custom"],
        baseline=run["baseline"],
        memory=run["memory"],
        keep_ansi=chosen.keep_ansi,
        on_chunk=on_chunk,
        count_input=args.json or args.compare,
    )


def _with_progress(chunks, size, args, chosen, counter, run) -> CompressResult:  # type: ignore[no-untyped-def]
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
        return _compress(chunks, args, chosen, counter, run, lambda n: progress.advance(task, n))


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


def _summary(result: CompressResult, failures: Failures, naive: object) -> None:
    source = (
        f"{result.input_tokens:,} tokens ({result.input_tokens / max(result.output_tokens, 1):.1f}×)"
        if result.input_tokens >= 0
        else f"{result.input_lines:,} lines"
    )
    profile = "" if result.profile == DEFAULT else f", profile {result.profile}"
    say(
        f"{source} → {result.output_tokens:,} tokens (budget {result.budget:,}), "
        f"{result.kept_lines:,} of {result.input_lines:,} lines represented, "
        f"{failures.describe()}{profile}"
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
