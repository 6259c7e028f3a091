"""Diagnostic logging on request: ``TOKENLS_LOG=debug`` (any command) or ``--verbose``.

Answers "why did it wait, was it cached?" without a debugger: which engine counted
(``tokenls.engine``), each cache hit or miss (``tokenls.cache``, ``tokenls.urls``) and each
rate wait with its reason (``tokenls.rate``), one line each on standard error. Nothing is
set up unless asked, so default output stays exactly as it was.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

ENV = "TOKENLS_LOG"
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
FORMAT = "tokenls %(levelname)s %(name)s: %(message)s"
_root = logging.getLogger("tokenls")


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Ours, so a second ``configure`` replaces it rather than doubling every line; the
    stream is looked up on each line (a test's captured stderr, a redirected one)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def requested_level(verbose: bool = False) -> int | None:
    """The level asked for: ``TOKENLS_LOG``'s, else debug for ``--verbose``, else None."""
    name = os.environ.get(ENV, "").strip().lower()
    if name in LEVELS:
        return LEVELS[name]
    if name:
        choices = ", ".join(LEVELS)
        print(f"tokenls: {ENV}={name!r} is not one of {choices}; ignored", file=sys.stderr)
    return logging.DEBUG if verbose else None


def configure(verbose: bool = False) -> int | None:
    """Send tokenls's own log lines at the requested level to standard error (and only
    there: not twice through a root handler); undo that when nothing is requested, so one
    process running several commands (tests) gets each one's own choice."""
    level = requested_level(verbose)
    ours = [h for h in _root.handlers if isinstance(h, _StderrHandler)]
    for handler in ours:
        _root.removeHandler(handler)
    if level is None:
        if ours:  # undo only what an earlier call did
            _root.setLevel(logging.NOTSET)
            _root.propagate = True
        return None
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    _root.addHandler(handler)
    _root.setLevel(level)
    _root.propagate = False
    return level


def configured_level() -> int | None:
    """The level ``configure`` set, or None when diagnostics were not asked for."""
    if any(isinstance(h, _StderrHandler) for h in _root.handlers):
        return _root.level
    return None
