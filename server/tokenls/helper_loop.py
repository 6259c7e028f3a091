"""An event loop in a daemon thread, for callers that block.

The command line's counting threads, the exact-count jobs and the agent tools are plain
threads, yet an HTTP exchange needs ``asyncio.timeout`` to be bounded as a whole (connect,
send and every byte of the body; httpx's own timeouts bound each read, not the sum). Their
exchanges run here, one loop per owner, so its pooled client and connections are reused
whichever thread asks.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class HelperLoop:
    def __init__(self, name: str) -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on the loop and wait for its result (or exception)."""
        return asyncio.run_coroutine_threadsafe(work, self._running()).result()

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, daemon=True, name=self.name).start()
            return self._loop
