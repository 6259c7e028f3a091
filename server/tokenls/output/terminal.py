"""What the commands print: colour only on a terminal, silence when a pipe closes early.

Users pipe ``tokenls`` into ``head``, ``jq`` and ``grep`` as they pipe ``rg`` and ``ruff``:
a reader that stops early ends the command quietly (the usual SIGPIPE behaviour) and the
command still returns its own exit code; any other failed write (a full disk) is an
``OutputError``, one line and exit 2. Colour goes only to a terminal, never into a pipe,
and ``NO_COLOR`` or ``--no-color`` turns it off there too. Every line for a person passes
through ``escaping.visible``, so nothing a repository holds can drive the terminal.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tokenls.output.escaping import json_name, json_text, quote_name, visible

if TYPE_CHECKING:
    from rich.console import Console

SCHEMA_VERSION = 1  # of every JSON document the command line prints
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

Part = str | tuple[str, str]  # plain text, or (text, rich style)


class UsageError(Exception):
    """An expected failure (bad path, option or output): one line for the user, exit 2."""

    def __init__(
        self, message: str, path: str | None = None, also: Sequence[UsageError] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.also = list(also)  # further errors reported with this one

    def line(self) -> str:
        return f"{quote_name(self.path)}: {self.message}" if self.path else self.message

    def entry(self) -> dict[str, Any]:
        where = json_name(self.path) if self.path else {}
        return {**where, "error": self.message}


class OutputError(UsageError):
    """Standard output could not be written (a full disk): the command ends with exit 2."""


def wants_color(no_color_flag: bool = False) -> bool:
    """Colour only on a terminal, unless ``--no-color`` or ``NO_COLOR`` (no-color.org)."""
    if no_color_flag or os.environ.get("NO_COLOR", ""):
        return False
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


class Terminal:
    """Standard output and the notes on standard error, for one command run."""

    def __init__(self, *, color: bool = False, quiet: bool = False) -> None:
        self.color = color
        self.quiet = quiet
        self.closed = False  # the reader went away: further output is dropped
        self._console: Console | None = None

    def line(self, *parts: Part) -> None:
        """Print one line of parts, each made visible; styles show only when colour is on."""
        if not self.color:  # flushed at the end (a terminal flushes each line itself)
            text = "".join(visible(p if isinstance(p, str) else p[0]) for p in parts)
            self._out(text + "\n", flush=False)
            return
        from rich.text import Text

        rich_text = Text()
        for part in parts:
            if isinstance(part, str):
                rich_text.append(visible(part))
            else:
                rich_text.append(visible(part[0]), style=part[1])
        self._guarded(lambda: self._rich().print(rich_text))

    def write(self, text: str) -> None:
        """Raw text to standard output (a compressed log, a JSON document, annotations)."""
        self._out(text, flush=True)

    def json(self, document: Mapping[str, Any]) -> None:
        """A JSON document on one line, stamped with the schema version."""
        self.write(json_text({"schema_version": SCHEMA_VERSION, **document}) + "\n")

    def note(self, message: str) -> None:
        """A summary or progress line on standard error; ``--quiet`` drops it."""
        if not self.quiet:
            say(message)

    def _out(self, text: str, *, flush: bool) -> None:
        def action() -> None:
            sys.stdout.write(text)
            if flush:
                sys.stdout.flush()

        self._guarded(action)

    def flush(self) -> None:
        if sys.stdout.closed:  # the language server's connection closed it on ``exit``
            return
        self._guarded(sys.stdout.flush)

    def _rich(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(
                force_terminal=True,
                no_color=False,
                highlight=False,
                markup=False,
                emoji=False,
                soft_wrap=True,
            )
        return self._console

    def _guarded(self, action: Any) -> None:
        """Run a write; a reader gone away ends output quietly, any other failure raises
        ``OutputError`` once. Either way standard output then points at /dev/null, so
        the interpreter's last flush of what is still buffered cannot fail again."""
        if self.closed:
            return
        try:
            action()
        except BrokenPipeError:
            self.closed = True
            silence_stdout()
        except OSError as exc:
            self.closed = True
            silence_stdout()
            reason = exc.strerror or str(exc)
            raise OutputError(f"cannot write to standard output: {reason}") from None


def silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


def say(message: str) -> None:
    """One line on standard error, prefixed ``tokenls:``, control characters made visible."""
    print(f"tokenls: {visible(message)}", file=sys.stderr)


def report_errors(errors: Sequence[UsageError], *, as_json: bool, terminal: Terminal) -> None:
    """Each error as one line on standard error; also a JSON document when JSON was asked."""
    for error in errors:
        say(error.line())
    if as_json:
        terminal.json({"errors": [e.entry() for e in errors]})
