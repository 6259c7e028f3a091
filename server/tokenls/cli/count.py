"""``tokenls count``: files, directory trees and standard input, with honest totals.

Each row is one file's cost as the editor shows it (its own text plus its references); a
total counts every text once (see ``report``). What was not counted — binary, oversized and
unreadable files, and FIFOs or devices a walk found — is summed up on standard error, so a
total is never silently partial. Names are quoted for the terminal and exact in JSON
(``tokenls.output.escaping``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from tokenls.config import workspace_root
from tokenls.engine.counting import BATCH_MAX_EXACT
from tokenls.engine.tokenizer_files import make_counter
from tokenls.files.reading import STDIN
from tokenls.output.escaping import quote_name
from tokenls.output.terminal import EXIT_OK, EXIT_USAGE, Terminal, UsageError, say
from tokenls.tree.count_json import biggest, json_report, top_references
from tokenls.tree.filecount import PROMPT_MAX_BYTES, FileCount
from tokenls.tree.known_files import KnownFiles
from tokenls.tree.prompts import PromptChecker
from tokenls.tree.report import (
    Part,
    TreeTotal,
    directory_totals,
    estimate_error,
)
from tokenls.tree.tree_count import count_paths

_PROGRESS_MIN_FILES = 50
_NAMES_SHOWN = 3


def run_count(args: argparse.Namespace, terminal: Terminal) -> int:
    paths: list[str] = args.paths or _standard_input()
    anchor = _anchor(paths[0])
    root = args.root or workspace_root(anchor)
    checker = PromptChecker(root, args.encoding, args.model, references=not args.no_references)
    # Each file is counted with its own choice of tokenizer; the anchor's is the default,
    # and counts of every file are remembered in the anchor's workspace cache.
    inside = anchor if not anchor.is_dir() else anchor / "-"
    unknown = checker.unknown_model(inside)
    if unknown:
        raise UsageError(unknown, "--model")
    encoding = checker.choice(inside).encoding
    counter_id = make_counter(encoding, max_exact=BATCH_MAX_EXACT).cache_id
    known = KnownFiles(checker.workspace(inside).cache, counter_id, BATCH_MAX_EXACT)
    results = _count(paths, encoding, args, checker, known, terminal)
    tree = TreeTotal.of(results)
    counted, parts, total, exact = tree.counted, tree.parts, tree.total, tree.exact
    errors = [r for r in results if r.error is not None]
    if args.json:
        report = json_report(encoding, total, exact, results, args.top)
        if args.model:
            report["model"] = args.model
        terminal.json(report)
    elif args.tree:
        _print_tree(parts, [Path(p) for p in paths], terminal)
    elif args.compare:
        _print_compare(counted, counted_with(counted, encoding), terminal)
    else:
        _print_table(counted, total, exact, counted_with(counted, encoding), args.top, terminal)
    for r in errors:
        say(f"{_shown(r.path)}: {r.error}")
    _report_rate_limited(counted)
    if not args.json:
        _summarise_skipped(results, terminal)
        _summarise_estimates(counted, terminal)
    return EXIT_USAGE if errors else EXIT_OK


def _report_rate_limited(counted: list[FileCount]) -> None:
    """Say which URLs were not fetched because their host's rate budget ran out (they count
    0), instead of waiting minutes for it."""
    for r in counted:
        for ref in r.references or []:
            error = ref.get("error") or ""
            if error.startswith("rate limited"):
                say(f"{_shown(r.path)}: {ref['target']}: {error}")


def _shown(path: Path | str) -> str:
    """A path for a person: quoted when its name holds what a terminal would act on."""
    return quote_name(path.as_posix() if isinstance(path, Path) else path)


def _standard_input() -> list[str]:
    """No PATH: standard input when something is piped in (as ``wc`` reads it)."""
    try:
        piped = not sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or absent
        piped = False
    if not piped:
        raise UsageError("PATH required (a file, a directory, or - for standard input)")
    return [STDIN]


def counted_with(counted: list[FileCount], default: str) -> str:
    """What counted the files, for the total's label: ``cl100k_base``, ``gpt-4:
    cl100k_base``, or each combination when files differ."""
    seen = sorted(
        {f"{r.model}: {r.encoding}" if r.model else r.encoding or default for r in counted}
    )
    return "; ".join(seen) or default


def _summarise_estimates(counted: list[FileCount], terminal: Terminal) -> None:
    """Why counts are estimates (no API key, an API error...): one line per reason."""
    reasons: dict[str, int] = {}
    for r in counted:
        if r.reason:
            reasons[r.reason] = reasons.get(r.reason, 0) + 1
    for reason, files in reasons.items():
        terminal.note(f"{files} file(s) estimated: {reason}")


def _anchor(path: str) -> Path:
    return Path.cwd() if path == STDIN else Path(path)


def _count(
    paths: Sequence[str],
    encoding: str,
    args: argparse.Namespace,
    prompts: PromptChecker | None,
    known: KnownFiles,
    terminal: Terminal,
) -> list[FileCount]:

    def run(on_done: Callable[[FileCount], None] | None = None) -> list[FileCount]:
        return count_paths(
            paths,
            encoding,
            workers=args.jobs,
            on_done=on_done,
            prompts=prompts,
            ignore=not args.no_ignore,
            stdin_name=args.stdin_filename,
            known=known,
        )

    if terminal.quiet or not sys.stderr.isatty():
        return run()
    from rich.console import Console
    from rich.progress import Progress

    with Progress(transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("counting", total=None)
        done = 0

        def advance(_result: FileCount) -> None:
            nonlocal done
            done += 1
            if done >= _PROGRESS_MIN_FILES:
                progress.update(task, advance=1, description=f"counting ({done} files)")

        return run(advance)


def _tokens(r: FileCount, own: bool = False) -> str:
    counted = (r.own or r.count) if own else r.count
    assert counted is not None
    return ("" if counted.exact else "≈") + f"{counted.tokens:,}"


def _print_table(
    counted: list[FileCount],
    total: int,
    exact: bool,
    encoding: str,
    top: int | None,
    terminal: Terminal,
) -> None:
    rows = biggest(counted, top)
    width = max([len(f"{total:,}") + 1, *(len(_tokens(r)) for r in rows)], default=1)
    for r in rows:
        note = "  (invalid UTF-8 replaced)" if r.decode_errors else ""
        terminal.line((f"{_tokens(r):>{width}}", "cyan"), "  ", _shown(r.path), (note, "yellow"))
    shown = f", the {len(rows)} biggest of {len(counted)} files" if len(rows) < len(counted) else ""
    mark = "" if exact else "≈"
    terminal.line(
        (f"{mark + format(total, ','):>{width}}", "bold"),
        "  ",
        (f"total ({encoding}){shown}", "bold"),
    )
    references = top_references(counted, top) if top is not None else []
    if references:
        terminal.line(("biggest references:", "bold"))
        for target, tokens, sources in references:
            terminal.line(
                (f"{tokens:>{width},}", "cyan"),
                "  ",
                target,
                (f"  (from {', '.join(_shown(s) for s in sources)})", "dim"),
            )


def _print_compare(counted: list[FileCount], encoding: str, terminal: Terminal) -> None:
    """Each file's own text against its own chars/4 estimate: like for like."""
    own_total = sum(r.own_tokens for r in counted)
    estimate_total = sum(r.chars // 4 for r in counted)
    width = max([len(f"{max(own_total, estimate_total):,}") + 1, len("chars/4")], default=1)
    terminal.line((f"{'tokens':>{width}}  {'chars/4':>{width}}  {'error':>7}  path", "bold"))
    for r in counted:
        estimate = r.chars // 4
        error = estimate_error(estimate, r.own_tokens)
        terminal.line(
            (f"{_tokens(r, own=True):>{width}}", "cyan"),
            f"  {estimate:>{width},}  {error:>7}  {_shown(r.path)}",
        )
    error = estimate_error(estimate_total, own_total)
    terminal.line(
        (f"{own_total:>{width},}  {estimate_total:>{width},}  {error:>7}  ", "bold"),
        (f"total ({encoding})", "bold"),
    )
    if any(r.own is not None for r in counted):
        terminal.note("--compare counts each file's own text; its references are left out")


def _print_tree(parts: list[Part], roots: list[Path], terminal: Terminal) -> None:
    totals = directory_totals(parts, roots)
    width = max((len(f"{t:,}") for _, t, _ in totals), default=1)
    for path, tokens, depth in totals:
        style = "bold blue" if path.endswith("/") else ""
        terminal.line((f"{tokens:>{width},}", "cyan"), f"  {'  ' * depth}", (_shown(path), style))


def _summarise_skipped(results: list[FileCount], terminal: Terminal) -> None:
    binary = [r for r in results if r.binary]
    oversized = [r for r in results if r.oversized]
    unreadable = [r for r in results if r.error is not None]
    notes = []
    if binary:
        notes.append(f"{_plural(len(binary), 'binary file')} skipped{_names(binary)}")
    if oversized:
        limit = PROMPT_MAX_BYTES // (1024 * 1024)
        notes.append(
            f"{_plural(len(oversized), 'prompt')} over {limit} MB counted without "
            f"references{_names(oversized)}"
        )
    if len(unreadable) > 1 or (unreadable and notes):  # a single error has its own line
        notes.append(f"{_plural(len(unreadable), 'path')} not counted{_names(unreadable)}")
    special = [r for r in results if r.skipped]
    if special:
        shown = [f"{_shown(r.path)}: {r.skipped}" for r in special[:_NAMES_SHOWN]]
        more = ", …" if len(special) > _NAMES_SHOWN else ""
        notes.append(f"{_plural(len(special), 'path')} skipped ({'; '.join(shown)}{more})")
    if notes:
        terminal.note("; ".join(notes))


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _names(results: list[FileCount]) -> str:
    names = [_shown(r.path) for r in results[:_NAMES_SHOWN]]
    more = ", …" if len(results) > _NAMES_SHOWN else ""
    return f" ({', '.join(names)}{more})"
