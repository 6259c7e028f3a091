"""Where a prompt's URL bodies come from: fetched on the spot (command line) or in the
background with priorities (language server), always through the shared rate tracker."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable

from tokenls.cache.token_cache import TokenCache, default_cache_dir
from tokenls.config import Settings
from tokenls.helper_loop import HelperLoop
from tokenls.ratelimit import Limits, RateConfig, RateTracker, open_store
from tokenls.references.urls import Fetched, UrlFetcher


def fetcher_for(settings: Settings, cache: TokenCache) -> UrlFetcher:
    return UrlFetcher(settings.http, tracker_for(settings, cache), cache)


def tracker_for(settings: Settings, cache: TokenCache) -> RateTracker:
    """The rate tracker the settings describe, its state in their store."""
    rate = settings.rate
    config = RateConfig(
        target=rate.target,
        min_interval_s=rate.min_interval_ms / 1000,
        window_s=rate.window_s,
        limits={
            key: Limits(table.get("requests_per_minute"), table.get("tokens_per_minute"))
            for key, table in rate.limits.items()
        },
    )
    # The shared rate state lives beside the counts, in a directory tokenls owns; when the
    # cache may not use its directory, the state stays in this process.
    owner = cache if cache.directory is not None else TokenCache(default_cache_dir())
    return RateTracker(open_store(rate.store, owner.usable_directory, owner.workspaces), config)


class BlockingUrls:
    """Fetches each URL when asked (the command line: CI waits for real counts).

    The fetches run on one event loop in a helper thread, so the HTTP client and its
    connections are reused from one reference to the next, whichever thread asks.
    """

    def __init__(self, fetcher: UrlFetcher) -> None:
        self.fetcher = fetcher
        self._loop = HelperLoop("tokenls-urls")

    def lookup(self, url: str) -> Fetched | None:
        cached = self.fetcher.cached(url)
        if cached is not None and not cached.stale:
            return cached
        return self._loop.run(self.fetcher.fetch(url))


class BackgroundUrls:
    """Answers from the cache at once and fetches the rest off the request path.

    Work is a priority queue: the active document's URLs first, other open documents next,
    everything else last. A URL nobody wants any more (its document closed, its reference
    edited away) is dropped when its turn comes. ``on_done`` runs on the event loop after
    each fetch so the server can re-count and refresh hints. A failed fetch is remembered
    for ``RETRY_AFTER_FAILURE_S``: its error is shown meanwhile, and the refresh it causes
    does not queue the same URL again at once.
    """

    ACTIVE, OPEN, BACKGROUND = 0, 1, 2
    RETRY_AFTER_FAILURE_S = 30.0

    def __init__(
        self,
        fetcher: UrlFetcher,
        on_done: Callable[[str], None],
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.on_done = on_done
        self.on_progress = on_progress
        self.wanted: dict[str, int] = {}  # url -> best priority asked for
        self._heap: list[tuple[int, int, str]] = []
        self._order = itertools.count()
        self._in_flight: set[str] = set()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._done = 0
        self._failed: dict[str, tuple[float, Fetched]] = {}
        self.priority = self.OPEN  # set by the session for the document being resolved

    def lookup(self, url: str, priority: int | None = None) -> Fetched | None:
        cached = self.fetcher.cached(url)
        if cached is not None and not cached.stale:
            return cached
        failed = self._failed.get(url)
        if failed is not None and time.monotonic() < failed[0]:
            return failed[1]
        self.request(url, self.priority if priority is None else priority)
        return cached  # stale bodies count meanwhile; a new URL is pending

    def request(self, url: str, priority: int) -> None:
        if url in self._in_flight:
            return
        best = self.wanted.get(url)
        if best is not None and best <= priority:
            return
        self.wanted[url] = priority
        heapq.heappush(self._heap, (priority, next(self._order), url))
        self._ensure_worker()

    def keep_only(self, urls: set[str]) -> None:
        """Forget queued URLs no open document references any more."""
        for url in list(self.wanted):
            if url not in urls:
                del self.wanted[url]

    def pending(self) -> int:
        return len(self.wanted) + len(self._in_flight)

    def _ensure_worker(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (tests of the core): nothing runs in the background
        if self._wake is None:
            self._wake = asyncio.Event()
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._work())

    async def _work(self) -> None:
        assert self._wake is not None
        while True:
            while not self._heap:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=30)
                except TimeoutError:
                    return
            priority, _, url = heapq.heappop(self._heap)
            if self.wanted.get(url) != priority:
                continue  # cancelled, or queued again with a better priority
            del self.wanted[url]
            self._in_flight.add(url)
            try:
                fetched = await self.fetcher.fetch(url)
            finally:
                self._in_flight.discard(url)
            if fetched.ok:
                self._failed.pop(url, None)
            else:
                self._failed[url] = (time.monotonic() + self.RETRY_AFTER_FAILURE_S, fetched)
            self._done += 1
            if self.on_progress is not None:
                self.on_progress(self._done, self._done + self.pending())
            self.on_done(url)
