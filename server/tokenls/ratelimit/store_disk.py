"""Rate-tracker state in the shared diskcache directory, updated under one transaction.

``Cache.transact`` runs the read-modify-write inside SQLite's ``BEGIN IMMEDIATE``, so two
processes admitting requests at the same instant are serialised: neither can see a window
the other is about to fill.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import diskcache

State = dict[str, Any]


class DiskStore:
    def __init__(self, directory: Path) -> None:
        self.cache = diskcache.Cache(str(directory / "rate"), timeout=10)

    def update(self, key: str, change: Callable[[State], tuple[State, Any]]) -> Any:
        with self.cache.transact(retry=True):
            state = self.cache.get(f"rate:{key}") or {}
            new_state, result = change(state)
            self.cache.set(f"rate:{key}", new_state, retry=True)
        return result

    def read(self, key: str) -> State:
        return self.cache.get(f"rate:{key}", retry=True) or {}

    def close(self) -> None:
        self.cache.close()
