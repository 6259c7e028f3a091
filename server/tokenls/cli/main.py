"""The ``tokenls`` command line: argument parsing, errors and exit codes; the work is in the core.

Exit codes, as ruff and grep use them: 0 fine, 1 findings (``check``: a prompt over its
budget), 2 a usage, path, output or config error. Every expected failure is one line on
standard error (and a JSON document on standard output when JSON was asked for), never a
traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from tokenls import log_setup
from tokenls.cli.parsers import build_parser
from tokenls.config import ConfigError
from tokenls.config.loading import use_config_file
from tokenls.engine.encodings import (
    EncodingDataError,
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
        args = build_parser().parse_args(argv)
        if not getattr(args, "command", None):
            build_parser().print_help(sys.stderr)
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
