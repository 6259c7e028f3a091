"""When the editor's work runs: debounced publishing, the resolver thread, cancellable jobs.

Keystrokes are applied on the event loop at once; everything slower waits here. A document's
diagnostics are published after its debounce, and a newer change cancels the older wait.
References resolve on one worker thread from a snapshot of the document, one job per document
at a time, so typing never waits for a file read or a URL. Nothing here speaks LSP: the
server hands in how to publish and how to report an error, so a test drives a real
``Session`` through it without a client.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tokenls.lsp.session import Session


class Scheduler:
    """Debounce, the resolver pool and the cancel switches of long jobs, for one session."""

    def __init__(
        self,
        session: Session,
        publish: Callable[[str], None],
        report_error: Callable[[Exception], None],
    ) -> None:
        self.session = session
        self._publish = publish
        self._report_error = report_error
        self.pending: dict[str, asyncio.Task[None]] = {}  # debounced publishes, by document
        self.resolving: dict[str, asyncio.Future[Any]] = {}  # running resolutions, by document
        self._resolver_pool: ThreadPoolExecutor | None = None
        self._cancels: dict[str, threading.Event] = {}  # progress token → its job's stop switch

    async def analysed(self, uri: str) -> None:
        """Make the analysis of the document's current version ready. Resolving references
        runs on a worker thread from a snapshot, so keystrokes keep being applied; a job
        whose document moved on still serves every reference whose target is unchanged."""
        session = self.session
        while not session.analysed(uri):
            running = self.resolving.get(uri)
            if running is None:
                job = session.resolution_job(uri)
                if self._resolver_pool is None:
                    self._resolver_pool = ThreadPoolExecutor(1, thread_name_prefix="resolve")
                running = asyncio.get_running_loop().run_in_executor(self._resolver_pool, job.run)
                self.resolving[uri] = running
                running.add_done_callback(lambda done, j=job: self.resolved(j, done))
            await asyncio.shield(running)
            # A job that was done already returns without yielding, and its done-callback
            # (which files the result) runs on a later turn of the loop: yield to it.
            await asyncio.sleep(0)
        session.analyse(uri)

    def resolved(self, job: Any, done: asyncio.Future[Any]) -> None:
        """File a finished resolution with the session (on the event loop)."""
        if self.resolving.get(job.uri) is done:
            del self.resolving[job.uri]
        if not done.cancelled() and done.exception() is None:
            self.session.finish_resolution(job, done.result())

    def publish_soon(self, uri: str, delay: float | None = None) -> None:
        """Publish after the debounce (the document's ``debounce_ms`` unless given); a newer
        change cancels the older wait."""
        self.cancel(uri)
        if delay is None:
            delay = self.debounce_s(uri)
        self.pending[uri] = asyncio.get_running_loop().create_task(self._publish_later(uri, delay))

    def publish_now(self, uri: str) -> None:
        """Publish as soon as the analysis is ready (on a running loop), else right away."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._publish(uri)
            return
        self.publish_soon(uri, 0)

    def cancel(self, uri: str) -> None:
        """Drop the document's waiting publish (it changed again, or closed)."""
        if (task := self.pending.pop(uri, None)) is not None:
            task.cancel()

    def debounce_s(self, uri: str) -> float:
        try:
            return self.session.get(uri).settings.debounce_ms / 1000
        except KeyError:
            return 0.0

    async def _publish_later(self, uri: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        try:
            await self.analysed(uri)
        except Exception as exc:  # a failure here must not stop other documents
            self.pending.pop(uri, None)
            self._report_error(exc)
            return
        self.pending.pop(uri, None)
        self._publish(uri)

    def cancellable(self, token: str) -> threading.Event:
        """A stop switch for a long job shown with progress ``token``."""
        stop = self._cancels[token] = threading.Event()
        return stop

    def finished(self, token: str) -> None:
        self._cancels.pop(token, None)

    def cancel_job(self, token: str) -> None:
        """The client cancelled the progress ``token``: stop its job."""
        if (stop := self._cancels.pop(token, None)) is not None:
            stop.set()
