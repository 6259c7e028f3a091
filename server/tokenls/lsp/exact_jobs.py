"""Slow exact counts run off the event loop, debounced, the latest text of each document only.

A whole-text count with a tokenizer file or a request to a provider's count endpoint must
never block typing. Each document has at most one job waiting and one running: a newer
text replaces the waiting job, a job starts only after the document has been quiet for the
debounce, and it runs in a worker thread. ``on_done`` runs on the event loop afterwards so
the server can swap the exact count in (diagnostics, inlay hint refresh).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger("tokenls.exact")
Job = Callable[[], object]


class ExactJobs:
    def __init__(self, on_done: Callable[[str], None], delay_s: Callable[[str], float]) -> None:
        self.on_done = on_done
        self.delay_s = delay_s
        self._waiting: dict[str, Job] = {}
        self._stamps: dict[str, int] = {}
        self._running: dict[str, asyncio.Task[None]] = {}

    def submit(self, uri: str, job: Job) -> None:
        """Count this document's latest text once it has been quiet for the debounce."""
        self._waiting[uri] = job
        self._stamps[uri] = self._stamps.get(uri, 0) + 1
        if uri in self._running:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop (a core test): the job waits for ``run_waiting``
        self._running[uri] = loop.create_task(self._drain(uri))

    def forget(self, uri: str) -> None:
        """The document closed: its waiting job is dropped."""
        self._waiting.pop(uri, None)

    def waiting(self) -> list[str]:
        return list(self._waiting)

    def run_waiting(self) -> None:
        """Run every waiting job now, in this thread (for callers without a loop)."""
        for uri in list(self._waiting):
            job = self._waiting.pop(uri)
            job()
            self.on_done(uri)

    async def _drain(self, uri: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            while uri in self._waiting:
                stamp = self._stamps[uri]
                await asyncio.sleep(self.delay_s(uri))
                if self._stamps.get(uri) != stamp or uri not in self._waiting:
                    continue  # edited during the pause: wait for quiet again
                job = self._waiting.pop(uri)
                try:
                    await loop.run_in_executor(None, job)
                except Exception:  # a failed count leaves the estimate; never the server
                    log.exception("tokenls: exact count failed")
                    continue
                self.on_done(uri)
        finally:
            self._running.pop(uri, None)
