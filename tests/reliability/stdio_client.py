"""A raw JSON-RPC client over stdio: sends whatever bytes a test wants, typed or not.

pytest-lsp's client types every message it sends, so it cannot send a hover at line -1;
this one writes frames by hand and collects every response by id.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

SERVER = [sys.executable, "-m", "tokenls", "serve", "--stdio"]


class StdioClient:
    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            SERVER,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
            env=env,
        )
        self.responses: dict[Any, list[dict[str, Any]]] = {}
        self.notifications: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def send(self, message: Any) -> None:
        self.send_raw(json.dumps(message).encode())

    def send_raw(self, body: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def request(self, msg_id: Any, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_for(self, ids: list[Any], timeout: float) -> dict[Any, list[dict[str, Any]]]:
        """Responses to ``ids`` received within ``timeout`` seconds (missing ids absent)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while not all(i in self.responses for i in ids):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
            return {i: list(self.responses[i]) for i in ids if i in self.responses}

    def call(self, msg_id: Any, method: str, params: Any = None, timeout: float = 20) -> dict:
        self.request(msg_id, method, params)
        found = self.wait_for([msg_id], timeout)
        assert msg_id in found, f"no answer to {method}"
        return found[msg_id][0]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                elif line in (b"\r\n", b"\n") and length is not None:
                    break
            message = json.loads(stream.read(length))
            if "method" in message and "id" in message:  # a request from the server
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "method" in message:
                self.notifications.put(message)
            else:
                with self._arrived:
                    self.responses.setdefault(message.get("id"), []).append(message)
                    self._arrived.notify_all()
