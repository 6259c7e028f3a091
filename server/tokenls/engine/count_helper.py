"""A second process that builds tiktoken's encoder while the language server starts.

Starting, the server imports its protocol types (~0.2 s) and builds ``o200k_base``'s encoder
(~0.15 s). Both hold the GIL, so in one process they add up before the first document is
counted. ``tokenls serve`` starts this helper before its imports: the helper builds the
encoder on the other core and counts the texts of the first documents, then the server
builds its own encoder in the background and stops the helper. Counts never depend on it:
a helper that is missing, fails or does not answer in time is stopped, and the server
counts by itself. Requests and answers are length-prefixed ``marshal`` data on the helper's
own pipes (``marshal`` keeps lone surrogates, which tiktoken repairs itself).
"""

from __future__ import annotations

import marshal
import os
import select
import struct
import sys
import threading
import time
from typing import TYPE_CHECKING

from tokenls.engine.encodings import ENCODINGS, get_encoding
from tokenls.engine.panics import unless_panic

if TYPE_CHECKING:
    import subprocess

ANSWER_TIMEOUT_S = 5.0  # the encoder is built in well under a second; past this, give up
_HEADER = struct.Struct("<Q")
_MAX_MESSAGE = 1 << 31


class CountHelper:
    """The server's side of one helper process."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdin is not None and process.stdout is not None
        self._process = process
        self._to = process.stdin.fileno()
        self._from = process.stdout.fileno()
        os.set_blocking(self._to, False)
        self._lock = threading.Lock()
        self.served = threading.Event()  # set once it has answered a request
        self.last_used = 0.0
        self.closed = False

    @classmethod
    def start(cls, encoding: str) -> CountHelper | None:
        """A helper building ``encoding``, or None where it cannot run (no POSIX pipes)."""
        if os.name != "posix" or encoding not in ENCODINGS:
            return None
        import subprocess  # the language server's start only

        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "tokenls.engine.count_helper", encoding],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            return None
        return cls(process)

    def counts(self, encoding: str, texts: list[str]) -> list[int] | None:
        """tiktoken's count of each text, or None (then the caller counts them itself)."""
        if encoding not in ENCODINGS:
            return None
        with self._lock:
            if self.closed:
                return None
            deadline = time.monotonic() + ANSWER_TIMEOUT_S
            try:
                request = marshal.dumps((encoding, texts))
                _write_all(self._to, _HEADER.pack(len(request)) + request, deadline)
                (size,) = _HEADER.unpack(_read_exact(self._from, _HEADER.size, deadline))
                if size > _MAX_MESSAGE:
                    raise ValueError("answer too large")
                answer = marshal.loads(_read_exact(self._from, size, deadline))
            except (OSError, ValueError, EOFError, TypeError, TimeoutError):
                self._close()
                return None
        self.last_used = time.monotonic()
        if not isinstance(answer, list) or len(answer) != len(texts) or -1 in answer:
            return None  # a text it could not encode: the caller's own guard applies
        self.served.set()
        return answer

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.served.set()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()
        self._process.kill()
        self._process.wait()


_current: CountHelper | None = None


def start(encoding: str) -> None:
    """Start this process's helper (the language server calls this first thing)."""
    global _current
    _current = CountHelper.start(encoding)


def active() -> bool:
    """Whether a helper is (or soon will be) ready to count: as good as a built encoder."""
    helper = _current
    return helper is not None and not helper.closed


def counts(encoding: str, texts: list[str]) -> list[int] | None:
    helper = _current
    return None if helper is None else helper.counts(encoding, texts)


def wait_idle(quiet_s: float, limit_s: float) -> None:
    """Wait until the helper has counted the first documents and then been asked nothing
    for ``quiet_s`` (their hints and diagnostics are computed), at most ``limit_s``."""
    helper = _current
    if helper is None:
        return
    deadline = time.monotonic() + limit_s
    if not helper.served.wait(limit_s):
        return
    while (left := helper.last_used + quiet_s - time.monotonic()) > 0:
        if time.monotonic() + left > deadline:
            return
        time.sleep(left)


def stop() -> None:
    global _current
    helper, _current = _current, None
    if helper is not None:
        helper.close()


def _write_all(fd: int, data: bytes, deadline: float) -> None:
    view = memoryview(data)
    while view:
        _wait(fd, deadline, write=True)
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            continue


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    parts = []
    while size:
        if deadline is not None:
            _wait(fd, deadline, write=False)
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError("the helper closed its pipe")
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)


def _wait(fd: int, deadline: float, *, write: bool) -> None:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    ready = select.select([], [fd], [], left) if write else select.select([fd], [], [], left)
    if not ready[1 if write else 0]:
        raise TimeoutError


def _serve(encoding: str) -> None:
    """The helper: build ``encoding``, then answer requests until its input closes."""
    get_encoding(encoding)
    while True:
        try:
            (size,) = _HEADER.unpack(_read_exact(0, _HEADER.size, None))
            name, texts = marshal.loads(_read_exact(0, size, None))
        except EOFError:
            return
        enc = get_encoding(name)
        answer = []
        for text in texts:
            counted = unless_panic(name, enc.encode_ordinary, text)
            answer.append(-1 if counted is None else len(counted))
        data = marshal.dumps(answer)
        sys.stdout.buffer.write(_HEADER.pack(len(data)) + data)
        sys.stdout.buffer.flush()


if __name__ == "__main__":
    _serve(sys.argv[1])
