"""One request per body in a process: fetches of the same body share one request."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Hashable
from typing import Any


class InFlight:
    """The fetches under way in this process, by what they fetch.

    The first fetcher of a body claims it; any other that wants the same body meanwhile
    waits for that fetch's outcome instead of sending a request of its own. Safe across
    threads and event loops (the command line fetches on a helper loop, the language
    server on its own), so it is one registry per process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fetches: dict[Hashable, concurrent.futures.Future[Any]] = {}

    def claim(self, key: Hashable) -> tuple[concurrent.futures.Future[Any], bool]:
        """The fetch of ``key`` under way, and whether the caller just started it (and
        must ``finish`` it)."""
        with self._lock:
            future = self._fetches.get(key)
            if future is not None:
                return future, False
            future = self._fetches[key] = concurrent.futures.Future()
            return future, True

    def finish(
        self,
        key: Hashable,
        future: concurrent.futures.Future[Any],
        outcome: Any,
    ) -> None:
        """The claimed fetch ended (``None``: abandoned, each joiner fetches for itself)."""
        with self._lock:
            if self._fetches.get(key) is future:
                del self._fetches[key]
        if not future.done():
            future.set_result(outcome)

    def __len__(self) -> int:
        with self._lock:
            return len(self._fetches)


IN_FLIGHT = InFlight()
