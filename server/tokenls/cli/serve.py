"""``tokenls serve`` and ``tokenls mcp``: start the language server or the MCP tools."""

from __future__ import annotations

import argparse
from pathlib import Path

from tokenls.output.terminal import Terminal, UsageError


def run_serve(args: argparse.Namespace, _terminal: Terminal) -> int:
    import gc

    from tokenls.code_cache import cache_path, compiled_once
    from tokenls.engine import count_helper
    from tokenls.engine.encodings import DEFAULT_ENCODING
    from tokenls.engine.private_files import private_dir

    count_helper.start(DEFAULT_ENCODING)  # builds the encoder while the server imports

    # The protocol types are hundreds of classes: collecting while they are made only
    # slows the start (by a fifth here). What start-up made lives as long as the server,
    # so it is frozen out of later collections.
    gc.disable()
    try:
        with compiled_once(cache_path(private_dir(), "attrs"), "attrs"):
            from tokenls.lsp.server import run
    finally:
        gc.freeze()
        gc.enable()

    return run(tcp=args.tcp)


def run_mcp(args: argparse.Namespace, _terminal: Terminal) -> int:
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
