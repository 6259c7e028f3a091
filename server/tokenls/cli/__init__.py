"""The command line: one module per command over the core; nothing below imports it."""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """The ``tokenls`` entry point; the commands load only when run, their dataclasses'
    methods compiled in earlier runs (``tokenls.code_cache``)."""
    from tokenls.code_cache import cache_path, compiled_once
    from tokenls.engine.private_files import private_dir

    with compiled_once(cache_path(private_dir(), "dataclasses"), "dataclasses"):
        from tokenls.cli.main import main as run

        return run(argv)
