"""The command line: one module per command over the core; nothing below imports it."""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """The ``tokenls`` entry point; the commands load only when run."""
    from tokenls.cli.main import main as run

    return run(argv)
