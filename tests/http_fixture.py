"""A real HTTP server on 127.0.0.1 for URL tests: limits, 429s, hangs, redirects, big bodies,
trickled bodies, hostile rate headers, 429 bursts and a minimum spacing between requests."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _limits(limit: str, remaining: str, reset: str) -> dict[str, str]:
    return {
        "x-ratelimit-limit-requests": limit,
        "x-ratelimit-remaining-requests": remaining,
        "x-ratelimit-reset-requests": reset,
    }


# Paths answered the same way every time: (status, body, headers).
_FIXED: dict[str, tuple[int, bytes, dict[str, str]]] = {
    "/headers": (200, b"with limits\n", _limits("30", "29", "2s")),
    "/reset-forever": (200, b"come back in eleven years\n", _limits("60", "0", "99999h")),
    "/retry-after-inf": (429, b"", {"Retry-After": "inf"}),
    "/retry-after-nan": (429, b"", {"Retry-After": "nan"}),
}
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def _arrival_time(connection: socket.socket) -> float:
    """When the first bytes of a request reached the kernel (now, where that is unknown)."""
    try:
        _data, ancillary, _flags, _addr = connection.recvmsg(1, 1024, socket.MSG_PEEK)
    except OSError:
        return time.time()
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(data) >= 16:
            seconds, nanoseconds = struct.unpack("qq", data[:16])
            return seconds + nanoseconds / 1e9
    return time.time()


class Upstream:
    """Counts what it served, enforces ``limit`` requests per ``window_s`` on /limited/."""

    def __init__(
        self,
        limit: int = 1000,
        window_s: float = 1.0,
        spacing_s: float = 0.0,
        burst: int = 4,
        host: str = "127.0.0.1",
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.spacing_s = spacing_s  # /spaced/: requests closer than this are rejected
        # Kernel timestamps are exact to microseconds; allow a millisecond for rounding.
        self.jitter_s = 0.001
        self.burst = burst  # /burst/: the first ``burst`` requests get 429
        self.arrivals: list[float] = []  # arrival times (epoch s) on /spaced/ and /burst/
        self.spacing_rejections = 0
        self.burst_served = 0
        self.lock = threading.Lock()
        self.times: deque[float] = deque()
        self.requests = 0
        self.violations = 0
        self.too_many = 0
        self.retry_calls = 0
        self.auth_seen: list[str | None] = []
        self.responses: dict[str, tuple[int, bytes, dict[str, str]]] = {}  # set by a test
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                self.arrived = _arrival_time(self.connection)

            def do_GET(self) -> None:
                upstream.handle(self)

        class Server(ThreadingHTTPServer):
            # Bursts of simultaneous connections must not overflow the accept queue (a
            # dropped SYN is retried only after a second, which looks like a slow server).
            request_queue_size = 128
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

            def server_bind(self) -> None:
                # Kernel receive timestamps (inherited by accepted sockets) date each request
                # when it reached the machine, not when a busy server got round to it.
                with contextlib.suppress(OSError):
                    self.socket.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
                super().server_bind()

        self.server = Server((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.host = f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Upstream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path
        with self.lock:
            self.requests += 1
        if path.startswith("/limited/"):
            now = time.monotonic()
            with self.lock:
                while self.times and self.times[0] <= now - self.window_s:
                    self.times.popleft()
                if len(self.times) >= self.limit:
                    self.violations += 1
                    self.too_many += 1
                    return self.reply(h, 429, b"slow down", {"Retry-After": "1"})
                self.times.append(now)
            return self.reply(h, 200, f"limited document {path} with some words\n".encode())
        if path.startswith("/ok/"):
            etag = '"v1-' + path.rsplit("/", 1)[-1] + '"'
            if h.headers.get("If-None-Match") == etag:
                return self.reply(h, 304, b"", {"ETag": etag})
            return self.reply(
                h, 200, f"document {path}: alpha beta gamma\n".encode(), {"ETag": etag}
            )
        if path.startswith("/spaced/"):
            now = h.arrived  # type: ignore[attr-defined]
            with self.lock:
                too_close = (
                    bool(self.arrivals) and now - self.arrivals[-1] < self.spacing_s - self.jitter_s
                )
                self.arrivals.append(now)
                if too_close:
                    self.spacing_rejections += 1
            if too_close:
                return self.reply(h, 429, b"too close", {"Retry-After": "1"})
            return self.reply(h, 200, f"spaced document {path}\n".encode())
        if path.startswith("/burst/"):
            with self.lock:
                self.arrivals.append(h.arrived)  # type: ignore[attr-defined]
                self.burst_served += 1
                rejected = self.burst_served <= self.burst
            if rejected:
                return self.reply(h, 429, b"burst", {"Retry-After": "1"})
            return self.reply(h, 200, f"burst document {path}\n".encode())
        if path in _FIXED:
            return self.reply(h, *_FIXED[path])
        if path in self.responses:
            return self.reply(h, *self.responses[path])
        if path == "/trickle":
            h.send_response(200)
            h.send_header("Content-Length", "1000")
            h.end_headers()
            try:
                for _ in range(200):  # a byte every 0.3 s: each read is quick, the body never ends
                    h.wfile.write(b"x")
                    h.wfile.flush()
                    time.sleep(0.3)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if path == "/retry":
            with self.lock:
                self.retry_calls += 1
                first = self.retry_calls == 1
            if first:
                return self.reply(h, 429, b"", {"Retry-After": "1"})
            return self.reply(h, 200, b"finally here\n")
        if path.startswith("/slow/"):  # long enough for other fetches to want it meanwhile
            time.sleep(0.5)
            return self.reply(h, 200, f"slow document {path}\n".encode())
        if path == "/hang":
            time.sleep(3)
            return self.reply(h, 200, b"too late\n")
        if path == "/redirect-private":
            return self.reply(h, 302, b"", {"Location": f"http://localhost:{self.port}/ok/1"})
        if path == "/redirect-elsewhere":
            return self.reply(h, 302, b"", {"Location": "http://example.invalid/"})
        if path == "/big":
            h.send_response(200)
            h.send_header("Content-Type", "text/plain")
            h.end_headers()
            chunk = b"x" * (1 << 20)
            try:
                for _ in range(50):
                    h.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if path == "/json":
            return self.reply(
                h,
                200,
                json.dumps({"a": [1, 2], "b": {"c": "d"}}).encode(),
                {"Content-Type": "application/json"},
            )
        if path.startswith("/echo-secret/"):  # a server quoting the credential it was sent
            token = (h.headers.get("Authorization") or "none").split()[-1]
            if path.endswith("/redirect"):
                return self.reply(h, 302, b"", {"Location": f"http://{token}.example.invalid/"})
            return self.reply(h, 200, b"body", {"Content-Encoding": token})
        if path == "/auth":
            with self.lock:
                self.auth_seen.append(h.headers.get("Authorization"))
            return self.reply(h, 200, b"secret area\n")
        return self.reply(h, 404, b"not found")

    @staticmethod
    def reply(
        h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        h.send_response(status)
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if body:
            h.wfile.write(body)
