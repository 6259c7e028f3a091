"""The message loop over standard input read by asyncio itself.

pygls's own stdin reader hands every header line and every body to a worker thread
(``run_in_executor``): three thread round trips per message, about a millisecond added to
each keystroke's round trip here. asyncio reads a pipe natively, so the loop below is
pygls's ``start_io`` with that reader. Standard input that is not a pipe or a socket (a
file, say) keeps pygls's reader.

The framing is checked as it is read: after a header block without a valid
``Content-Length`` no later message can be found (the body would be read as headers), so
the server says why on standard error and exits with status 1, for the client to start
it again, rather than stay up deaf to every request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
from typing import TYPE_CHECKING, Protocol

from pygls.exceptions import JsonRpcException
from pygls.io_ import StdinAsyncReader, StdoutWriter

from tokenls import compat

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

log = logging.getLogger("tokenls")
_BUFFER = 1 << 20  # bytes asyncio holds before pausing the pipe; headers are far shorter
EXIT_PROTOCOL_ERROR = 1
# No message is this large (documents stop at 64 M characters): a longer Content-Length is
# a broken frame, not a body to buffer until memory runs out.
MAX_BODY_BYTES = 1 << 30


class ProtocolError(Exception):
    """Input that breaks LSP's framing: no later message can be found in it."""


class Reader(Protocol):
    async def readline(self) -> bytes: ...
    async def readexactly(self, n: int) -> bytes: ...


class PipeReader:
    """The reader pygls's loop expects, over an asyncio stream."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self._stream = stream

    async def readline(self) -> bytes:
        try:
            return await self._stream.readline()
        except ValueError:  # a header line longer than the buffer: not LSP
            raise ProtocolError(f"a header line longer than {_BUFFER:,} bytes") from None

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self._stream.readexactly(n)
        except asyncio.IncompleteReadError as exc:  # the client went away mid-message
            return exc.partial


def start_io(server: LanguageServer) -> int:
    """Serve over stdin/stdout until ``exit`` or the end of input (pygls's ``start_io``);
    the exit status: 0, or ``EXIT_PROTOCOL_ERROR`` when the input broke the framing."""
    stop = threading.Event()
    compat.set_stop_event(server, stop)  # pygls's shutdown sets it to end the loop
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    status = 0
    try:
        asyncio.run(_serve(server, stop))
    except ProtocolError as exc:
        print(
            f"tokenls: not a Language Server Protocol message: {exc}; exiting so that the "
            "client starts the server again",
            file=sys.stderr,
            flush=True,
        )
        status = EXIT_PROTOCOL_ERROR
    except BrokenPipeError:
        log.error("the client closed the connection; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
    return status


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
    await read_messages(reader, server, stop)


async def read_messages(reader: Reader, server: LanguageServer, stop: threading.Event) -> None:
    """Hand each message to the protocol until ``stop``, the end of input or a client gone
    mid-message; ``ProtocolError`` when the framing breaks (pygls's ``run_async``, strict)."""
    protocol = server.protocol
    while not stop.is_set():
        length = await read_headers(reader)
        if length is None:
            return
        body = await reader.readexactly(length)
        if len(body) < length:
            return  # the client went away mid-message
        try:
            message = json.loads(body, object_hook=protocol.structure_message)
            protocol.handle_message(message)
        except Exception as exc:  # one bad message must not end the others
            log.exception("unable to handle a message")
            server.report_server_error(exc, JsonRpcException)


async def read_headers(reader: Reader) -> int | None:
    """The ``Content-Length`` of the next message, its header block read; None at the end
    of input. Header names are matched without regard to case, as in HTTP."""
    length: int | None = None
    headers = 0
    while True:
        line = await reader.readline()
        if not line:
            return None
        if not line.strip():  # the blank line ending the block (a stray one is no block)
            if length is not None:
                return length
            if headers:
                raise ProtocolError("a header block without a Content-Length header")
            continue
        headers += 1
        name, colon, value = line.partition(b":")
        if not colon:
            raise ProtocolError(f"a header line without a colon: {_shown(line)}")
        if name.strip().lower() == b"content-length":
            digits = value.strip()
            if not digits.isdigit():  # ASCII digits only, for bytes
                raise ProtocolError(f"Content-Length is not a byte count: {_shown(line)}")
            length = int(digits)
            if length > MAX_BODY_BYTES:
                raise ProtocolError(f"Content-Length over {MAX_BODY_BYTES:,} bytes")


def _shown(line: bytes) -> str:
    """A header line as it may be quoted in a message: short, and printable."""
    text = line.rstrip(b"\r\n")[:80].decode("ascii", "backslashreplace")
    return repr(text) + ("…" if len(line) > 82 else "")
