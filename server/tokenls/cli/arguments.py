"""Value types for command-line arguments shared by several commands' parsers."""

from __future__ import annotations

import argparse


def positive(text: str) -> int:
    """A whole number of at least 1 (``--top``, ``--jobs``, ``log -n``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value
