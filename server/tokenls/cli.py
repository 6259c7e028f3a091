"""The ``tokenls`` command line: argument parsing and output only; the work is in the core."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from tokenls import __version__
from tokenls.config import workspace_root
from tokenls.encodings import DEFAULT_ENCODING, ENCODINGS, EncodingDataError
from tokenls.filecount import FileCount, count_paths
from tokenls.prompts import PromptChecker
from tokenls.report import directory_totals, estimate_error

EXIT_OK, EXIT_OVER_BUDGET, EXIT_USAGE = 0, 1, 2
_PROGRESS_MIN_FILES = 50


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.run(args)
    except EncodingDataError as exc:
        print(f"tokenls: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tokenls", description="Token counts for LLM prompts, exact to tiktoken."
    )
    parser.add_argument("--version", action="version", version=f"tokenls {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    count = sub.add_parser("count", help="count the tokens of files and directories")
    count.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    count.add_argument(
        "--encoding",
        choices=ENCODINGS,
        default=None,
        help=f"tokenizer (default: config, else {DEFAULT_ENCODING})",
    )
    count.add_argument("--json", action="store_true", help="machine-readable output")
    count.add_argument("--tree", action="store_true", help="per-directory totals, like du")
    count.add_argument(
        "--compare",
        action="store_true",
        help="show the chars/4 estimate and its error next to each count",
    )
    count.add_argument("--jobs", type=int, default=None, help="worker threads (default: cores)")
    count.add_argument(
        "--no-references",
        action="store_true",
        help="count each file's own text only; do not resolve references",
    )
    count.add_argument(
        "--root",
        type=Path,
        default=None,
        help="workspace root references must stay inside (default: nearest "
        "config file's directory, else git root, else current directory)",
    )
    count.set_defaults(run=_run_count)

    check = sub.add_parser("check", help="check prompts against their token budgets (CI gate)")
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH", default=[Path(".")])
    check.add_argument("--format", choices=("text", "json", "github"), default="text")
    check.add_argument("--encoding", choices=ENCODINGS, default=None)
    check.add_argument("--root", type=Path, default=None, help="workspace root (see count)")
    check.set_defaults(run=_run_check)

    squeeze = sub.add_parser(
        "compress", help="compress a log to fit a token budget, keeping failures"
    )
    squeeze.add_argument("log", metavar="LOG", help="log file, or - for standard input")
    squeeze.add_argument("--budget", type=int, default=4000, help="tokens (default 4000)")
    squeeze.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="write here (atomically) instead of standard output",
    )
    squeeze.add_argument(
        "--profile",
        default="auto",
        help="auto, test_logs, error_logs, info_logs or one from config",
    )
    squeeze.add_argument("--encoding", choices=ENCODINGS, default=None)
    squeeze.add_argument("--json", action="store_true", help="print statistics as JSON")
    squeeze.add_argument(
        "--compare",
        action="store_true",
        help="also show naive head+tail truncation to the same budget",
    )
    squeeze.add_argument(
        "--no-memory", action="store_true", help="do not mark errors as new or seen in earlier logs"
    )
    squeeze.set_defaults(run=_run_compress)

    serve = sub.add_parser("serve", help="run the language server")
    serve.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP address instead")
    serve.set_defaults(run=_run_serve)
    return parser


def _run_count(args: argparse.Namespace) -> int:
    encoding = args.encoding or _configured_encoding(args.paths)
    prompts = None
    if not args.no_references:
        root = args.root or workspace_root(args.paths[0])
        prompts = PromptChecker(root, encoding)
    results = _count_with_progress(args.paths, encoding, args.jobs, prompts)
    counted = [r for r in results if r.count is not None]
    errors = [r for r in results if r.error is not None]
    total = sum(r.count.tokens for r in counted if r.count)
    if args.json:
        binary = [r for r in results if r.binary]
        print(
            json.dumps(_json_report(encoding, total, counted, errors, binary), ensure_ascii=False)
        )
    elif args.tree:
        _print_tree(counted, args.paths)
    else:
        _print_table(counted, total, encoding, compare=args.compare)
    for r in errors:
        print(f"tokenls: {r.path}: {r.error}", file=sys.stderr)
    _report_rate_limited(counted)
    return EXIT_USAGE if errors else EXIT_OK


def _report_rate_limited(counted: list[FileCount]) -> None:
    """Say which URLs were not fetched because their host's rate budget ran out (they count
    0), instead of waiting minutes for it."""
    for r in counted:
        for ref in r.references or []:
            error = ref.get("error") or ""
            if error.startswith("rate limited"):
                print(f"tokenls: {r.path}: {ref['target']}: {error}", file=sys.stderr)


def _configured_encoding(paths: Sequence[Path]) -> str:
    from tokenls.config import load_config_for

    config, _problems = load_config_for(paths[0] if paths else Path.cwd())
    return config.encoding


def _count_with_progress(
    paths: Sequence[Path], encoding: str, jobs: int | None, prompts: PromptChecker | None
) -> list[FileCount]:
    if not sys.stderr.isatty():
        return count_paths(paths, encoding, workers=jobs, prompts=prompts)
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr_console()) as progress:
        task = progress.add_task("counting", total=None)
        done = 0

        def advance(_result: FileCount) -> None:
            nonlocal done
            done += 1
            if done >= _PROGRESS_MIN_FILES:
                progress.update(task, advance=1, description=f"counting ({done} files)")

        return count_paths(paths, encoding, workers=jobs, on_done=advance, prompts=prompts)


def _stderr_console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=True)


def _json_report(
    encoding: str,
    total: int,
    counted: list[FileCount],
    errors: list[FileCount],
    binary: list[FileCount],
) -> dict[str, object]:
    files = []
    for r in counted:
        assert r.count is not None
        entry: dict[str, object] = {
            "path": r.path.as_posix(),
            "tokens": r.count.tokens,
            "exact": r.count.exact,
            "bytes": r.size,
        }
        if not r.count.exact:
            entry["upper_bound"] = r.count.bound
        if r.decode_errors:
            entry["decode_errors"] = True
        if r.own is not None:
            entry["own_tokens"] = r.own.tokens
            entry["references"] = r.references or []
        files.append(entry)
    report: dict[str, object] = {"encoding": encoding, "total": total, "files": files}
    if errors:
        report["errors"] = [{"path": r.path.as_posix(), "error": r.error} for r in errors]
    if binary:
        report["skipped_binary"] = [r.path.as_posix() for r in binary]
    return report


def _print_table(counted: list[FileCount], total: int, encoding: str, *, compare: bool) -> None:
    text_files = counted
    width = max([len(f"{total:,}") + 1, *(len(_tokens(r)) for r in text_files)], default=1)
    if compare:
        print(f"{'tokens':>{width}}  {'chars/4':>{width}}  {'error':>7}  path")
    estimate_total = 0
    for r in text_files:
        note = "  (invalid UTF-8 replaced)" if r.decode_errors else ""
        if compare:
            estimate = r.chars // 4
            estimate_total += estimate
            error = estimate_error(estimate, r.count.tokens if r.count else 0)
            print(f"{_tokens(r):>{width}}  {estimate:>{width},}  {error:>7}  {r.path}{note}")
        else:
            print(f"{_tokens(r):>{width}}  {r.path}{note}")
    exact = all(r.count is not None and r.count.exact for r in text_files)
    mark = "" if exact else "≈"
    if compare:
        error = estimate_error(estimate_total, total)
        print(
            f"{mark + format(total, ','):>{width}}  {estimate_total:>{width},}  {error:>7}  total ({encoding})"
        )
    else:
        print(f"{mark + format(total, ','):>{width}}  total ({encoding})")


def _tokens(r: FileCount) -> str:
    assert r.count is not None
    return ("" if r.count.exact else "≈") + f"{r.count.tokens:,}"


def _print_tree(counted: list[FileCount], roots: Sequence[Path]) -> None:
    totals = directory_totals([(r.path, r.count.tokens) for r in counted if r.count], roots)
    width = max((len(f"{t:,}") for _, t, _ in totals), default=1)
    for path, tokens, depth in totals:
        print(f"{tokens:>{width},}  {'  ' * depth}{path}")


def _run_check(args: argparse.Namespace) -> int:
    from tokenls.files import walk

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        for path in missing:
            print(f"tokenls: {path}: no such file or directory", file=sys.stderr)
        return EXIT_USAGE
    root = args.root or workspace_root(args.paths[0])
    checker = PromptChecker(root, args.encoding)
    explicit = {p.resolve() for p in args.paths if p.is_file()}
    rows: list[dict[str, object]] = []
    over = 0
    checked = 0
    for found in walk(args.paths):
        path = found.path
        if found.error or not (path.resolve() in explicit or checker.is_prompt(path)):
            continue
        try:
            report = checker.report(path)
        except OSError as exc:
            print(f"tokenls: {path}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
        checked += 1
        over += report.over_budget
        for finding in report.findings:
            rows.append(
                {
                    "path": path.as_posix(),
                    "line": finding.start[0] + 1,
                    "column": finding.start[1] + 1,
                    "severity": _SEVERITY_NAMES[finding.severity.name],
                    "code": finding.code,
                    "message": finding.message,
                }
            )
    _print_findings(rows, args.format, checked, over)
    return EXIT_OVER_BUDGET if over else EXIT_OK


_SEVERITY_NAMES = {"ERROR": "error", "WARNING": "warning", "INFORMATION": "info"}
_GITHUB_LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def _print_findings(rows: list[dict[str, object]], fmt: str, checked: int, over: int) -> None:
    if fmt == "json":
        print(
            json.dumps(
                {"checked": checked, "over_budget": over, "findings": rows}, ensure_ascii=False
            )
        )
        return
    for row in rows:
        if fmt == "github":
            message = (
                str(row["message"]).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            )
            level = _GITHUB_LEVELS[str(row["severity"])]
            print(
                f"::{level} file={row['path']},line={row['line']},col={row['column']},title=tokenls::{message}"
            )
        else:
            print(
                f"{row['path']}:{row['line']}:{row['column']}: {row['severity']}: {row['message']}"
            )
    if fmt == "text":
        verdict = f"{over} over budget" if over else "all within budget"
        print(
            f"tokenls: checked {checked} prompt{'s' if checked != 1 else ''}: {verdict}",
            file=sys.stderr,
        )


def _run_compress(args: argparse.Namespace) -> int:
    from tokenls.compress.cli import run_compress

    return run_compress(args)


def _run_serve(args: argparse.Namespace) -> int:
    from tokenls.lsp.server import run

    return run(tcp=args.tcp)
