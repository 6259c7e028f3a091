"""The language server, built by ``build_server``: the handler tables over one session.

Nothing is made at import, so each test (and each ``tokenls serve``) builds its own server.
"""

from __future__ import annotations

import logging

from tokenls import log_setup
from tokenls.lsp import requests, sync
from tokenls.lsp.client_log import ClientLog
from tokenls.lsp.language_server import TokenlsServer


def build_server() -> TokenlsServer:
    """A server with every handler of ``sync`` and ``requests`` registered."""
    server = TokenlsServer()
    for method, handler, options in (*sync.HANDLERS, *requests.HANDLERS):
        server.feature(method, options)(handler)
    return server


def run(tcp: str | None = None) -> int:
    """Serve one client over stdio, or over TCP at ``host:port``."""
    server = build_server()
    logging.basicConfig(level=logging.WARNING)
    if log_setup.configured_level() is not None:  # TOKENLS_LOG / --verbose: the client too
        client_log = ClientLog(server)
        client_log.setFormatter(logging.Formatter(log_setup.FORMAT))
        logging.getLogger("tokenls").addHandler(client_log)
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        from tokenls.lsp.stdio import start_io

        return start_io(server)
    return 0
