"""The command line's argument parsers: one function per command, each adding its own.

The commands' modules load only when their command runs (``tokenls --help`` stays quick).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, NoReturn

from tokenls import __version__
from tokenls.cli import diff as cli_diff
from tokenls.cli import log as cli_log
from tokenls.cli.arguments import budget_tokens, config_file, encoding_name, positive, tiktoken_name
from tokenls.engine.encodings import DEFAULT_ENCODING, ENCODINGS
from tokenls.engine.tokenizer_files import PACKAGED
from tokenls.output.terminal import Terminal, UsageError

CONFIG_HELP = "settings from this file, after your user config, instead of the workspace's"


class Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line (exit 2) instead of usage text."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    """``tokenls``'s parser: the global options and one subcommand per command."""
    parser = Parser(prog="tokenls", description="Token counts for LLM prompts, exact to tiktoken.")
    parser.add_argument("--version", action="version", version=f"tokenls {__version__}")
    parser.add_argument("--config", type=config_file, metavar="PATH", help=CONFIG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = _common()
    helps = _helps()
    count_parser(sub, common, helps)
    check_parser(sub, common, helps)
    compress_parser(sub, common, helps)
    cli_diff.add_parser(sub, common, encoding_name, helps)
    cli_log.add_parser(sub, common, encoding_name, helps)
    serve_parser(sub, common, helps)
    mcp_parser(sub, common, helps)
    return parser


def _common() -> argparse.ArgumentParser:
    """Options every command takes."""
    common = Parser(add_help=False)
    common.add_argument(
        "--config", type=config_file, metavar="PATH", default=argparse.SUPPRESS, help=CONFIG_HELP
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
    return common


def _helps() -> dict[str, str]:
    encoding = (
        f"{', '.join(ENCODINGS)}, a packaged tokenizer ({', '.join(PACKAGED)}) or a "
        f"tokenizer.json path (default: config, else {DEFAULT_ENCODING})"
    )

    model = (
        "count prompts for this model: its tokenizer (unless --encoding), and for check its "
        "context window as the budget (unless --budget or a frontmatter budget); claude-… "
        "models count through Anthropic's API when ANTHROPIC_API_KEY is set, else are estimated"
    )
    return {"encoding": encoding, "model": model}


def count_parser(sub: Any, common: argparse.ArgumentParser, helps: dict[str, str]) -> None:
    """``tokenls count``."""
    count = sub.add_parser(
        "count", parents=[common], help="count the tokens of files and directories"
    )
    count.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="file, directory, or - for stdin (default: stdin when it is not a terminal)",
    )
    count.add_argument("--encoding", type=encoding_name, default=None, help=helps["encoding"])
    count.add_argument("--model", default=None, help=helps["model"])
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
        help=(
            "threads that encode (default: one per core, up to 8; on two cores or fewer "
            "they encode while the next files are read)"
        ),
    )
    count.add_argument(
        "--no-references",
        action="store_true",
        help="count each file's own text only; do not resolve references",
    )
    _walk_options(count)
    count.set_defaults(run=_run_count)


def check_parser(sub: Any, common: argparse.ArgumentParser, helps: dict[str, str]) -> None:
    """``tokenls check``."""
    check = sub.add_parser(
        "check", parents=[common], help="check prompts against their token budgets (CI gate)"
    )
    check.add_argument("paths", nargs="*", metavar="PATH", default=["."])
    check.add_argument("--format", choices=("text", "json", "github", "sarif"), default="text")
    check.add_argument("--encoding", type=encoding_name, default=None, help=helps["encoding"])
    check.add_argument("--model", default=None, help=helps["model"])
    check.add_argument(
        "--budget",
        type=budget_tokens,
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


def compress_parser(sub: Any, common: argparse.ArgumentParser, helps: dict[str, str]) -> None:
    """``tokenls compress``."""
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
        type=tiktoken_name,
        default=None,
        help=f"tiktoken encoding (default: config's if a tiktoken one, else {DEFAULT_ENCODING})",
    )
    squeeze.add_argument("--json", action="store_true", help="print statistics as JSON")
    squeeze.add_argument(
        "--compare",
        action="store_true",
        help="also show naive head+tail truncation to the same budget",
    )
    _compress_choices(squeeze)
    squeeze.set_defaults(run=_run_compress)


def _compress_choices(squeeze: argparse.ArgumentParser) -> None:
    """What ``compress`` keeps and where its settings come from."""
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


def serve_parser(sub: Any, common: argparse.ArgumentParser, helps: dict[str, str]) -> None:
    """``tokenls serve``."""
    serve = sub.add_parser("serve", parents=[common], help="run the language server")
    serve.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP address instead")
    serve.set_defaults(run=_run_serve)


def mcp_parser(sub: Any, common: argparse.ArgumentParser, helps: dict[str, str]) -> None:
    """``tokenls mcp``."""
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


def _run_serve(args: argparse.Namespace, terminal: Terminal) -> int:
    from tokenls.cli.serve import run_serve

    return run_serve(args, terminal)


def _run_mcp(args: argparse.Namespace, terminal: Terminal) -> int:
    from tokenls.cli.serve import run_mcp

    return run_mcp(args, terminal)
