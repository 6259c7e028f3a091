"""The server is built by a function: importing it makes none, and each build is its own."""

from __future__ import annotations

import subprocess
import sys

from lsprotocol import types

from tokenls.lsp.server import build_server


def test_importing_the_server_module_makes_no_server() -> None:
    code = (
        "import gc, tokenls.lsp.server; "
        "from tokenls.lsp.language_server import TokenlsServer; "
        "raise SystemExit(any(isinstance(o, TokenlsServer) for o in gc.get_objects()))"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_each_build_has_its_own_session_and_every_handler() -> None:
    one, two = build_server(), build_server()
    assert one.session is not two.session and one.scheduler is not two.scheduler
    for server in (one, two):
        features = server.protocol.fm.features
        for method in (
            types.TEXT_DOCUMENT_DID_CHANGE,
            types.TEXT_DOCUMENT_HOVER,
            types.TEXT_DOCUMENT_INLAY_HINT,
            types.TEXT_DOCUMENT_CODE_ACTION,
            "tokenls/documentTokens",
            "tokenls/countText",
        ):
            assert method in features, method
