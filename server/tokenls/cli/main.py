"""The ``tokenls`` command line: argument parsing, errors and exit codes; the work is in the core.

Exit codes, as ruff and grep use them: 0 fine, 1 findings (``check``: a prompt over its
budget), 2 a usage, path, output or config error. Every expected failure is one line on
standard error (and a JSON document on standard output when JSON was asked for), never a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from tokenls import __version__, log_setup
from tokenls.cli import diff as cli_diff
from tokenls.cli import log as cli_log
from tokenls.cli.arguments import positive
from tokenls.config import ConfigError
from tokenls.config.loading import use_config_file
from tokenls.engine.encodings import (
    DEFAULT_ENCODING,
    ENCODINGS,
    EncodingDataError,
    unavailable_encoding,
)
from tokenls.engine.tokenizer_files import (
    PACKAGED,
    TokenizerFileError,
    is_tokenizer_file,
    load_tokenizer,
)
from tokenls.output.terminal import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    Terminal,
    UsageError,
    say,
    silence_stdout,
    wants_color,
)

EXIT_OVER_BUDGET = EXIT_FINDINGS
__all__ = ["EXIT_OK", "EXIT_OVER_BUDGET", "EXIT_USAGE", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    error_format = _error_format(argv)
    error_output = _error_output(argv) if error_format else None
    terminal = Terminal()
    try:
        args = _parser().parse_args(argv)
        if not getattr(args, "command", None):
            _parser().print_help(sys.stderr)
            return EXIT_USAGE
        terminal = Terminal(color=wants_color(args.no_color), quiet=args.quiet)
        log_setup.configure(verbose=args.verbose)
        use_config_file(args.config)
        code = int(args.run(args, terminal))
        terminal.flush()
        return code
    except UsageError as exc:
        _report([exc, *exc.also], error_format, error_output, terminal)
        return EXIT_USAGE
    except EncodingDataError as exc:
        _report([UsageError(str(exc))], error_format, error_output, terminal)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader left before anything of ours could notice
        silence_stdout()
        return EXIT_OK
    except ConfigError as exc:  # a broken config must not silently turn a gate off
        problems = [UsageError(f"{p.key}: {p.reason}", p.source) for p in exc.problems]
        _report(problems, error_format, error_output, terminal)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    finally:
        use_config_file(None)


def _report(
    errors: list[UsageError], error_format: str | None, output: str | None, terminal: Terminal
) -> None:
    """Each error as a line on standard error and, when JSON or SARIF was asked for, as that
    document too — in the ``-o`` file when one was named, so a CI step reading it finds a
    failed run rather than no file."""
    for error in errors:
        say(error.line())
    if error_format is None:
        return
    if error_format == "sarif":
        from tokenls.cli.sarif import sarif_json

        document = sarif_json([], errors)
    else:
        from tokenls.output.escaping import json_text
        from tokenls.output.terminal import SCHEMA_VERSION

        entries = [e.entry() for e in errors]
        document = json_text({"schema_version": SCHEMA_VERSION, "errors": entries}) + "\n"
    if any(e.path == output for e in errors):  # the -o file itself failed: not again
        output = None
    if output is None or output == "-":  # standard output
        try:
            terminal.write(document)
        except UsageError as exc:
            say(exc.line())
        return
    from tokenls.output.file import write_output

    try:
        write_output(output, document)
    except UsageError as exc:
        say(exc.line())


def _error_format(argv: Sequence[str]) -> str | None:
    """Whether JSON or SARIF was asked for, known even when the arguments do not parse."""
    for index, arg in enumerate(argv):
        if arg == "--json":
            return "json"
        value = arg.partition("=")[2] if arg.startswith("--format=") else None
        if arg == "--format" and index + 1 < len(argv):
            value = argv[index + 1]
        if value in ("json", "sarif"):
            return value
    return None


def _error_output(argv: Sequence[str]) -> str | None:
    """Where ``check -o`` writes its report, known even when the arguments do not parse (a
    failed run's document goes there); only ``check`` writes a document with ``-o``."""
    if "check" not in argv:
        return None
    found = None
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        if arg in ("-o", "--output") and index + 1 < len(argv):
            found = argv[index + 1]
        elif arg.startswith("--output="):
            found = arg.partition("=")[2]
        elif arg.startswith("-o") and len(arg) > 2 and not arg.startswith("--"):
            found = arg[2:]
    return found


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line (exit 2) instead of usage text."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def _tokens(text: str) -> int:
    """A budget: a whole number of tokens within the range a config's budget allows."""
    from tokenls.analysis.budget import TOKENS

    value = positive(text)
    if not TOKENS.allows(value):
        raise argparse.ArgumentTypeError(f"must be {TOKENS.describe()}, not {value}")
    return value


def _config_file(text: str) -> Path:
    """``--config``: a config file that exists (tokenls.toml, or pyproject.toml)."""
    path = Path(text).expanduser()
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such config file: {text}")
    return path.resolve()


def _tiktoken(text: str) -> str:
    """One of tiktoken's encodings that ship offline."""
    if text not in ENCODINGS:
        raise argparse.ArgumentTypeError(unavailable_encoding(text, files=False))
    return text


def _encoding(text: str) -> str:
    """A tiktoken name, a packaged tokenizer, or a tokenizer.json path (made absolute)."""
    if text in ENCODINGS:
        return text
    if not is_tokenizer_file(text):
        raise argparse.ArgumentTypeError(unavailable_encoding(text, tuple(PACKAGED)))
    chosen = text if text in PACKAGED else str(Path(text).expanduser().resolve())
    try:
        load_tokenizer(chosen)
    except TokenizerFileError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return chosen


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tokenls", description="Token counts for LLM prompts, exact to tiktoken.")
    parser.add_argument("--version", action="version", version=f"tokenls {__version__}")
    config = "settings from this file, after your user config, instead of the workspace's"
    parser.add_argument("--config", type=_config_file, metavar="PATH", help=config)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = _Parser(add_help=False)
    common.add_argument(
        "--config", type=_config_file, metavar="PATH", default=argparse.SUPPRESS, help=config
    )
    common.add_argument("--no-color", action="store_true", help="no colour (also: NO_COLOR)")
    common.add_argument(
        "-q", "--quiet", action="store_true", help="print results only: no summary or progress"
    )
    common.add_argument(
        "--verbose",
        action="store_true",
        help="log to stderr which engine counted, cache hits and misses, rate waits and why "
        "(also: TOKENLS_LOG=debug)",
    )
    encoding = (
        f"{', '.join(ENCODINGS)}, a packaged tokenizer ({', '.join(PACKAGED)}) or a "
        f"tokenizer.json path (default: config, else {DEFAULT_ENCODING})"
    )

    model = (
        "count prompts for this model: its tokenizer (unless --encoding), and for check its "
        "context window as the budget (unless --budget or a frontmatter budget); claude-… "
        "models count through Anthropic's API when ANTHROPIC_API_KEY is set, else are estimated"
    )
    count = sub.add_parser(
        "count", parents=[common], help="count the tokens of files and directories"
    )
    count.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="file, directory, or - for stdin (default: stdin when it is not a terminal)",
    )
    count.add_argument("--encoding", type=_encoding, default=None, help=encoding)
    count.add_argument("--model", default=None, help=model)
    count.add_argument("--json", action="store_true", help="machine-readable output")
    count.add_argument("--tree", action="store_true", help="per-directory totals, like du")
    count.add_argument(
        "--compare",
        action="store_true",
        help="show the chars/4 estimate of each file's own text and its error",
    )
    count.add_argument(
        "--top", type=positive, metavar="N", help="only the N biggest files and references"
    )
    count.add_argument(
        "--jobs",
        type=positive,
        default=None,
        help="worker threads (default: 1 on two cores or fewer, else the cores)",
    )
    count.add_argument(
        "--no-references",
        action="store_true",
        help="count each file's own text only; do not resolve references",
    )
    _walk_options(count)
    count.set_defaults(run=_run_count)

    check = sub.add_parser(
        "check", parents=[common], help="check prompts against their token budgets (CI gate)"
    )
    check.add_argument("paths", nargs="*", metavar="PATH", default=["."])
    check.add_argument("--format", choices=("text", "json", "github", "sarif"), default="text")
    check.add_argument("--encoding", type=_encoding, default=None, help=encoding)
    check.add_argument("--model", default=None, help=model)
    check.add_argument(
        "--budget",
        type=_tokens,
        default=None,
        metavar="N",
        help="the budget of every prompt, over frontmatter, model and config",
    )
    check.add_argument(
        "-o", "--output", default=None, help="write the report here (atomically); - for stdout"
    )
    check.add_argument(
        "--against",
        metavar="REV",
        default=None,
        help="with --max-increase: fail when a prompt grew more than allowed since REV",
    )
    check.add_argument(
        "--max-increase",
        metavar="LIMIT",
        default=None,
        help="growth allowed since --against: a percentage (10%%) or a number of tokens (500)",
    )
    _walk_options(check)
    check.set_defaults(run=_run_check)

    squeeze = sub.add_parser(
        "compress",
        parents=[common],
        help="compress a log to fit a token budget, keeping failures",
    )
    squeeze.add_argument("log", metavar="LOG", help="log file, or - for standard input")
    squeeze.add_argument(
        "--budget", type=int, default=None, help="tokens (default: config, else 4000)"
    )
    squeeze.add_argument(
        "-o",
        "--output",
        default=None,
        help="write here (atomically) instead of standard output; - for standard output",
    )
    squeeze.add_argument(
        "--profile", default=None, help="a profile from config ([compress.profiles.NAME])"
    )
    squeeze.add_argument(
        "--encoding",
        type=_tiktoken,
        default=None,
        help=f"tiktoken encoding (default: config's if a tiktoken one, else {DEFAULT_ENCODING})",
    )
    squeeze.add_argument("--json", action="store_true", help="print statistics as JSON")
    squeeze.add_argument(
        "--compare",
        action="store_true",
        help="also show naive head+tail truncation to the same budget",
    )
    squeeze.add_argument(
        "--baseline",
        metavar="PASS_LOG",
        default=None,
        help="a passing run of the same job: lines it also has are left out first",
    )
    squeeze.add_argument(
        "--keep-ansi",
        action="store_true",
        default=None,
        help="keep colour codes in the lines that are kept",
    )
    squeeze.add_argument(
        "--memory",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="rank errors seen in earlier logs below new ones (config: compress.memory)",
    )
    squeeze.add_argument(
        "--save-config",
        action="store_true",
        help="also write the options given to the [compress] table of the nearest tokenls.toml",
    )
    squeeze.add_argument(
        "--load-config",
        metavar="PATH",
        default=None,
        help="take options from this file's [compress] table (the command line's win)",
    )
    squeeze.set_defaults(run=_run_compress)

    helps = {"encoding": encoding, "model": model}
    cli_diff.add_parser(sub, common, _encoding, helps)
    cli_log.add_parser(sub, common, _encoding, helps)

    serve = sub.add_parser("serve", parents=[common], help="run the language server")
    serve.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP address instead")
    serve.set_defaults(run=_run_serve)

    agent = sub.add_parser(
        "mcp", parents=[common], help="serve the tools to coding agents over MCP (stdio)"
    )
    agent.add_argument(
        "--root",
        type=Path,
        default=None,
        help="workspace root the tools may read under (default: current directory)",
    )
    agent.set_defaults(run=_run_mcp)
    return parser


def _walk_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--no-ignore",
        action="store_true",
        help="walk directories without git's ignore rules (.gitignore, info/exclude, global)",
    )
    command.add_argument(
        "--root",
        type=Path,
        default=None,
        help="workspace root references must stay inside (default: nearest "
        "config file's directory, else git root, else current directory)",
    )
    command.add_argument(
        "--stdin-filename",
        metavar="NAME",
        default=None,
        help="for -: the file name standard input stands for (config, budget, references)",
    )


def _run_count(args: argparse.Namespace, terminal: Terminal) -> int:
    from tokenls.cli.count import run_count

    return run_count(args, terminal)


def _run_check(args: argparse.Namespace, terminal: Terminal) -> int:
    from tokenls.cli.check import run_check

    return run_check(args, terminal)


def _run_compress(args: argparse.Namespace, terminal: Terminal) -> int:
    from tokenls.cli.compress import run_compress

    return run_compress(args, terminal)


def _run_serve(args: argparse.Namespace, _terminal: Terminal) -> int:
    import gc

    from tokenls.engine import count_helper
    from tokenls.engine.encodings import DEFAULT_ENCODING, tables_dir
    from tokenls.lsp.code_cache import cache_path, compiled_once

    count_helper.start(DEFAULT_ENCODING)  # builds the encoder while the server imports

    # The protocol types are hundreds of classes: collecting while they are made only
    # slows the start (by a fifth here). What start-up made lives as long as the server,
    # so it is frozen out of later collections.
    gc.disable()
    try:
        with compiled_once(cache_path(tables_dir())):
            from tokenls.lsp.server import run
    finally:
        gc.freeze()
        gc.enable()

    return run(tcp=args.tcp)


def _run_mcp(args: argparse.Namespace, _terminal: Terminal) -> int:
    root = (args.root or Path.cwd()).resolve()
    if not root.is_dir():
        raise UsageError("not a directory", str(args.root))
    try:
        from tokenls.mcp.server import serve
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in ("mcp", "pydantic"):
            raise
        raise UsageError("tokenls mcp needs the MCP SDK: pip install 'tokenls[mcp]'") from None
    return serve(root)
