"""pygls's message loop over standard input read by asyncio itself.

pygls's own stdin reader hands every header line and every body to a worker thread
(``run_in_executor``): three thread round trips per message, about a millisecond added to
each keystroke's round trip here. asyncio reads a pipe natively, so the loop below is
pygls's ``start_io`` with that reader. Standard input that is not a pipe or a socket (a
file, say) keeps pygls's reader.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from typing import TYPE_CHECKING

from pygls.io_ import StdinAsyncReader, StdoutWriter, run_async

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

log = logging.getLogger("tokenls")
_BUFFER = 1 << 20  # bytes asyncio holds before pausing the pipe; headers are far shorter


class PipeReader:
    """The reader pygls's loop expects, over an asyncio stream."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self._stream = stream

    async def readline(self) -> bytes:
        try:
            return await self._stream.readline()
        except ValueError:  # a header line longer than the buffer: not LSP, stop reading
            return b""

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self._stream.readexactly(n)
        except asyncio.IncompleteReadError as exc:  # the client went away mid-message
            return exc.partial


def start_io(server: LanguageServer) -> None:
    """Serve over stdin/stdout until ``exit`` or the end of input (pygls's ``start_io``)."""
    server._stop_event = stop = threading.Event()  # pygls's shutdown sets it to end the loop
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    try:
        asyncio.run(_serve(server, stop))
    except BrokenPipeError:
        log.error("the client closed the connection; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()


async def _serve(server: LanguageServer, stop: threading.Event) -> None:
    stdin = sys.stdin.buffer
    stream = asyncio.StreamReader(limit=_BUFFER)
    reader: PipeReader | StdinAsyncReader
    try:
        await asyncio.get_running_loop().connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(stream), stdin
        )
        reader = PipeReader(stream)
    except (OSError, ValueError):
        reader = StdinAsyncReader(stdin, server.thread_pool)
    await run_async(
        stop_event=stop,
        reader=reader,  # type: ignore[arg-type]
        protocol=server.protocol,
        logger=log,
        error_handler=server.report_server_error,
    )
