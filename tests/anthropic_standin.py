"""A loopback stand-in for Anthropic's ``POST /v1/messages/count_tokens``.

It implements the documented shapes: the request body ``{"model", "messages": [{"role":
"user", "content": text}]}`` with ``x-api-key`` and ``anthropic-version: 2023-06-01``
headers; the answer ``{"input_tokens": N}`` with ``anthropic-ratelimit-requests-{limit,
remaining,reset}`` headers; errors as ``{"type": "error", "error": {"type", "message"}}``
with 401 for a wrong key, 429 with ``retry-after`` and 529 when overloaded. Requests
arriving closer together than ``spacing_s`` are rejected with 429, so a test can count
how often a client overran the spacing it was configured with. With ``trickle_s`` an
answer's body is sent one byte at a time, that many seconds apart (a stalling endpoint).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATH = "/v1/messages/count_tokens"


def answer_for(text: str) -> int:
    """The stand-in's count: deliberately unlike any local tokenizer's."""
    return len(text.encode("utf-8")) // 3 + 7


class CountTokensStandIn:
    def __init__(
        self,
        key: str,
        spacing_s: float = 0.0,
        requests_limit: int = 4000,
        script: list[tuple[int, dict[str, str]]] | None = None,
        port: int = 0,
        gate: threading.Event | None = None,
        trickle_s: float = 0.0,
        echo_key: bool = False,
    ) -> None:
        self.key = key
        self.echo_key = echo_key  # errors quote the x-api-key they were sent
        self.spacing_s = spacing_s
        self.requests_limit = requests_limit
        self.script = list(script or [])  # forced (status, headers) answers, in order
        self.gate = gate  # when set, answers wait for it (a slow endpoint)
        self.trickle_s = trickle_s
        self.lock = threading.Lock()
        self.requests = 0
        self.rejections = 0
        self.answered: list[str] = []
        self.seen_headers: list[dict[str, str]] = []
        self._last = 0.0
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                standin.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CountTokensStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length", "0")))
        if self.gate is not None:
            self.gate.wait(30)
        now = time.monotonic()
        with self.lock:
            self.requests += 1
            self.seen_headers.append({k.lower(): v for k, v in h.headers.items()})
            too_close = self.spacing_s and now - self._last < self.spacing_s
            self._last = now
            forced = self.script.pop(0) if self.script else None
            if too_close:
                self.rejections += 1
        if h.path != PATH:
            return self.error(h, 404, "not_found_error")
        if too_close:
            return self.error(h, 429, "rate_limit_error", {"retry-after": "1"})
        if forced is not None:
            status, headers = forced
            kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
            return self.error(h, status, kind, headers)
        if self.echo_key:
            sent = h.headers.get("x-api-key", "")
            return self.error(h, 400, sent, message=f"key {sent} is not valid for this model")
        if h.headers.get("x-api-key") != self.key:
            return self.error(h, 401, "authentication_error")
        if h.headers.get("anthropic-version") != "2023-06-01":
            return self.error(h, 400, "invalid_request_error")
        try:
            request = json.loads(body)
            (message,) = request["messages"]
            text = message["content"]
            assert message["role"] == "user" and isinstance(request["model"], str)
        except (ValueError, KeyError, AssertionError, TypeError):
            return self.error(h, 400, "invalid_request_error")
        with self.lock:
            self.answered.append(text)
            remaining = max(self.requests_limit - len(self.answered), 0)
        reset = (datetime.now(UTC) + timedelta(seconds=60)).isoformat().replace("+00:00", "Z")
        headers = {
            "anthropic-ratelimit-requests-limit": str(self.requests_limit),
            "anthropic-ratelimit-requests-remaining": str(remaining),
            "anthropic-ratelimit-requests-reset": reset,
        }
        if self.trickle_s:
            return self.trickle(h, {"input_tokens": answer_for(text)})
        return self.reply(h, 200, {"input_tokens": answer_for(text)}, headers)

    def trickle(self, h: BaseHTTPRequestHandler, payload: dict) -> None:
        data = json.dumps(payload).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        try:
            for byte in data:
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
                time.sleep(self.trickle_s)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def error(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        kind: str,
        headers: dict | None = None,
        message: str | None = None,
    ) -> None:
        error = {"type": kind, "message": message or f"stand-in {kind}"}
        payload = {"type": "error", "error": error}
        self.reply(h, status, payload, headers or {})

    @staticmethod
    def reply(h: BaseHTTPRequestHandler, status: int, payload: dict, headers: dict) -> None:
        data = json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
