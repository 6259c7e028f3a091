"""``tokenls count``: files, directory trees and standard input, with honest totals.

Each row is one file's cost as the editor shows it (its own text plus its references); a
total counts every text once (see ``report``). What was not counted — binary, oversized and
unreadable files, and FIFOs or devices a walk found — is summed up on standard error, so a
total is never silently partial. Names are quoted for the terminal and exact in JSON
(``tokenls.escaping``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from tokenls.config import workspace_root
from tokenls.contributors import display_target
from tokenls.engine.counting import BATCH_MAX_EXACT
from tokenls.engine.tokenizer_files import make_counter
from tokenls.escaping import json_name, portable_name, quote_name
from tokenls.filecount import PROMPT_MAX_BYTES, FileCount, count_paths
from tokenls.files import STDIN
from tokenls.known_files import KnownFiles
from tokenls.prompts import PromptChecker
from tokenls.report import (
    Part,
    counted_as,
    directory_totals,
    estimate_error,
    part_of,
    text_once_total,
)
from tokenls.terminal import EXIT_OK, EXIT_USAGE, Terminal, UsageError, say

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
    counted = [r for r in results if r.count is not None]
    errors = [r for r in results if r.error is not None]
    parts = [
        part_of(r.path, r.own_tokens, r.references, counted_as(r.encoding, r.model))
        for r in counted
    ]
    total = text_once_total(parts)
    exact = all(r.count is not None and r.count.exact for r in counted)
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


def _biggest(counted: list[FileCount], top: int | None) -> list[FileCount]:
    if top is None:
        return counted
    return sorted(counted, key=lambda r: -r.count.tokens if r.count else 0)[:top]


def json_report(
    encoding: str, total: int, exact: bool, results: list[FileCount], top: int | None
) -> dict[str, object]:
    counted = [r for r in results if r.count is not None]
    files = []
    for r in _biggest(counted, top):
        assert r.count is not None
        entry: dict[str, object] = {
            **json_name(r.path.as_posix()),
            "tokens": r.count.tokens,
            "exact": r.count.exact,
            "bytes": r.size,
        }
        if not r.count.exact:
            entry["upper_bound"] = r.count.bound
        if r.reason:
            entry["reason"] = r.reason
        if r.encoding:
            entry["encoding"] = r.encoding
        if r.model:
            entry["model"] = r.model
        if r.decode_errors:
            entry["decode_errors"] = True
        if r.own is not None:
            entry["own_tokens"] = r.own.tokens
            entry["references"] = r.references or []
        if r.oversized:
            entry["oversized"] = True
        files.append(entry)
    encodings = sorted({r.encoding for r in counted if r.encoding})
    report: dict[str, object] = {
        "encoding": encodings[0] if len(encodings) == 1 else encoding,
        "total": total,
        "exact": exact,
        "files_counted": len(counted),
        "files": files,
    }
    if len(encodings) > 1:
        report["encodings"] = encodings
    models = {r.model for r in counted}
    if len(models) == 1 and None not in models:
        report["model"] = models.pop()
    if top is not None:
        report["top_references"] = [
            {"target": target, "tokens": tokens, "from": [portable_name(s) for s in sources]}
            for target, tokens, sources in _top_references(counted, top)
        ]
    errors = [r for r in results if r.error is not None]
    if errors:
        report["errors"] = [{**json_name(r.path.as_posix()), "error": r.error} for r in errors]
    binary = [r for r in results if r.binary]
    if binary:
        report["skipped_binary"] = [portable_name(r.path.as_posix()) for r in binary]
    skipped = [r for r in results if r.skipped]
    if skipped:
        report["skipped"] = [{**json_name(r.path.as_posix()), "reason": r.skipped} for r in skipped]
    return report


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
    rows = _biggest(counted, top)
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
    references = _top_references(counted, top) if top is not None else []
    if references:
        terminal.line(("biggest references:", "bold"))
        for target, tokens, sources in references:
            terminal.line(
                (f"{tokens:>{width},}", "cyan"),
                "  ",
                target,
                (f"  (from {', '.join(_shown(s) for s in sources)})", "dim"),
            )


def _top_references(counted: list[FileCount], top: int) -> list[tuple[str, int, list[str]]]:
    """The biggest referenced files and URLs, each once, with the prompts that use them."""
    found: dict[str, tuple[int, list[str]]] = {}
    for r in counted:
        for ref in r.references or ():
            if ref.get("status") != "ok" or ref.get("countedOnce") or not ref.get("tokens"):
                continue
            target = display_target(str(ref["target"]))
            _tokens_of, sources = found.setdefault(target, (int(ref["tokens"]), []))
            sources.append(r.path.as_posix())
    ranked = sorted(found.items(), key=lambda item: (-item[1][0], item[0]))[:top]
    return [(target, tokens, sources) for target, (tokens, sources) in ranked]


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
