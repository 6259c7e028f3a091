"""Rate-tracker state in the shared cache directory, updated under one transaction.

``Cache.transact`` runs the read-modify-write inside SQLite's ``BEGIN IMMEDIATE``, so two
processes admitting requests at the same instant are serialised: neither can see a window
the other is about to fill. Waiting for that lock is bounded: a store held by another
process for longer raises ``StoreBusy`` and the caller decides what to do, never hangs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tokenls.cache.owned import CacheBusy, DiskCache

State = dict[str, Any]


class StoreBusy(Exception):
    """The shared rate state stayed locked by another process for longer than we wait."""


class DiskStore:
    def __init__(
        self, directory: Path, workspaces: Sequence[Path] = (), wait_s: float = 10.0
    ) -> None:
        self.disk = DiskCache(directory / "rate", workspaces, busy_wait_s=1.0)
        self.wait_s = wait_s

    def update(self, key: str, change: Callable[[State], tuple[State, Any]]) -> Any:
        def run(cache: Any) -> Any:
            with cache.transact():
                state = valid_state(cache.get(f"rate:{key}"))
                new_state, result = change(state)
                cache.set(f"rate:{key}", new_state)
            return result

        return self._with_retry(run)

    def read(self, key: str) -> State:
        return self._with_retry(lambda cache: valid_state(cache.get(f"rate:{key}")))

    def close(self) -> None:
        self.disk.close()

    def _with_retry(self, action: Callable[[Any], Any]) -> Any:
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                return self.disk.call(action)
            except CacheBusy:
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"the shared rate state in {self.disk.directory} stayed locked "
                        f"for {self.wait_s:g} s"
                    ) from None


def valid_state(value: Any) -> State:
    """A stored state as a dict; what each field must hold is checked by its reader (the
    tracker's window, a count's claim)."""
    return value if type(value) is dict else {}


class MemoryStore:
    """Rate state for this process only: used when no cache directory may be written."""

    def __init__(self) -> None:
        self._states: dict[str, State] = {}
        self._lock = threading.Lock()

    def update(self, key: str, change: Callable[[State], tuple[State, Any]]) -> Any:
        with self._lock:
            self._states[key], result = change(dict(self._states.get(key) or {}))
            return result

    def read(self, key: str) -> State:
        with self._lock:
            return dict(self._states.get(key) or {})

    def close(self) -> None:
        pass
