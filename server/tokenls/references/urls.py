"""Fetching URL references: an allowlist, private-address checks, an HTTP cache, and the
shared rate tracker in front of every request.

Secure by default: only allowlisted hosts are fetched, ``http://`` only when allowed, a
name that resolves to a loopback, private or link-local address only when that host is
listed as private-ok, and every redirect hop is checked again. Bodies stream with a size
cap on the decoded bytes, at every layer of content coding (``url_requests``,
``content_coding``). Responses are cached on disk (body, ETag, Last-Modified, fetch time):
fresh entries are served without a request, stale ones revalidated (304 keeps them), and
when the upstream is unreachable the last known body is served, flagged stale. Header
values may come from the environment (``"env:API_TOKEN"``) and are never logged or shown
(an error quoting the server has every configured value redacted); the cache key holds only
a hash of them.

Every wait is bounded: one request (connect, redirects, every byte of the body) has
``http.timeout_s`` in all, so a server trickling a byte at a time cannot hold a run; and a
fetch waits for the shared rate tracker at most ``max_wait_s`` before it reports the URL
as rate limited.

One request per body: while a fetch is under way, every other fetch of the same body in
the process (another workspace's fetcher, a URL source rebuilt when settings changed, the
command line's helper loop) waits for it instead of sending its own (``InFlight``), so the
shared rate budget is spent once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import logging
import time
import weakref
from collections.abc import Hashable, Mapping
from dataclasses import replace
from typing import Any

import httpx

from tokenls.cache.token_cache import TokenCache
from tokenls.config import HttpSettings
from tokenls.ratelimit import RateTracker
from tokenls.ratelimit.store_disk import StoreBusy
from tokenls.ratelimit.trace import sent_trace
from tokenls.redact import redact
from tokenls.references.fetched import (
    Fetched,
    from_entry,
    rate_limited,
    stale_or,
    valid_entry,
)
from tokenls.references.in_flight import IN_FLIGHT, InFlight
from tokenls.references.url_checks import UrlRefused, check_url, host_key, host_listed
from tokenls.references.url_requests import (
    body_text,
    get_following_redirects,
    header_secrets,
    request_headers,
)

MAX_WAIT_S = 30.0  # the longest a fetch waits for the rate tracker before giving up
log = logging.getLogger("tokenls.urls")
__all__ = [
    "IN_FLIGHT",
    "Fetched",
    "InFlight",
    "UrlFetcher",
    "UrlRefused",
    "check_url",
    "host_key",
    "host_listed",
]


# What a shared fetch hands its joiners: the result, and the cache entry it stored (a
# joiner with another cache directory files it there too).
Outcome = tuple[Fetched, dict[str, Any] | None]


async def _outcome_of(future: concurrent.futures.Future[Outcome | None]) -> Outcome | None:
    """Wait for another fetcher's fetch; a joiner cancelled meanwhile leaves it running."""
    return await asyncio.shield(asyncio.wrap_future(future))


class UrlFetcher:
    def __init__(
        self,
        http: HttpSettings,
        tracker: RateTracker,
        cache: TokenCache,
        max_retries: int = 4,
        max_wait_s: float = MAX_WAIT_S,
        in_flight: InFlight = IN_FLIGHT,
    ) -> None:
        self.http = http
        self.tracker = tracker
        self.cache = cache
        self.max_retries = max_retries
        self.max_wait_s = max_wait_s
        self.in_flight = in_flight
        # One pooled client per event loop (a client cannot outlive or change its loop).
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )

    def cache_key(self, url: str) -> str:
        """Everything that changes the stored body: the URL, ``pretty_json``, and the request
        headers sent to its host (hashed: a secret never appears in a key)."""
        headers = json.dumps(sorted(request_headers(self.http, url).items()))
        digest = hashlib.sha256(headers.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"http:{url}:{int(self.http.pretty_json)}:{digest}"

    def cached(self, url: str) -> Fetched | None:
        """The cached body, fresh or stale, without any request."""
        entry = self._entry(url)
        if entry is None:
            return None
        fresh = time.time() - entry["fetched_at"] < self.http.ttl_s
        return from_entry(url, entry, "cache" if fresh else "stale")

    async def fetch(self, url: str) -> Fetched:
        fetched = await self._fetch_or_cached(url)
        if fetched.error is None:
            return fetched
        # An error may quote the server (a redirect's host, a coding name): never a secret.
        return replace(fetched, error=redact(fetched.error, header_secrets(self.http)))

    async def _fetch_or_cached(self, url: str) -> Fetched:
        try:
            key = check_url(url, self.http)
        except UrlRefused as exc:
            return Fetched(url, error=str(exc))
        entry = self._entry(url)
        if entry and time.time() - entry["fetched_at"] < self.http.ttl_s:
            log.debug("%s: HTTP cache hit (fresh), no request", url)
            return from_entry(url, entry, "cache")
        flight = self._flight_key(url)
        future, mine = self.in_flight.claim(flight)
        if not mine:
            log.debug("%s: waiting for the fetch already under way, no request of its own", url)
            outcome = await _outcome_of(future)
            if outcome is not None:
                fetched, stored_entry = outcome
                if stored_entry is not None and self._entry(url) != stored_entry:
                    self.cache.put(self.cache_key(url), stored_entry)  # another cache directory
                return fetched
            entry = self._entry(url)  # the fetch it waited for was abandoned: fetch anew
            return await self._fetch(url, key, entry, self._client())
        outcome = None
        try:
            if entry is None:
                log.debug("%s: HTTP cache miss, fetching", url)
            else:
                log.debug("%s: HTTP cache entry stale, revalidating", url)
            fetched = await self._fetch(url, key, entry, self._client())
            kept = fetched.source in ("fresh", "revalidated")
            shared = fetched
            if fetched.error is not None:  # joiners may know other secrets; never this one's
                shared = replace(fetched, error=redact(fetched.error, header_secrets(self.http)))
            outcome = (shared, self._entry(url) if kept else None)
            return fetched
        finally:
            self.in_flight.finish(flight, future, outcome)

    def _flight_key(self, url: str) -> Hashable:
        """What makes two fetches the same: the body's cache key (URL, ``pretty_json``,
        request headers) and the policy that admits and bounds the response."""
        http = self.http
        policy = (http.allow_hosts, http.allow_http, http.allow_private_hosts)
        return (self.cache_key(url), *policy, http.max_bytes, http.timeout_s)

    def _entry(self, url: str) -> dict[str, Any] | None:
        entry, _ = self.cache.get(self.cache_key(url))
        return valid_entry(entry)

    def _client(self) -> httpx.AsyncClient:
        # Creating a client loads the CA bundle (about 20 ms): keep one per event loop, so
        # connections and TLS sessions are pooled across references too.
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.http.timeout_s),
                follow_redirects=False,
                limits=httpx.Limits(max_connections=16),
            )
            self._clients[loop] = client
        return client

    async def _fetch(
        self, url: str, key: str, entry: dict[str, Any] | None, client: httpx.AsyncClient
    ) -> Fetched:
        waited = 0.0
        estimate = entry["size"] // 4 if entry else 0  # tokens, by the chars/4 rule
        for attempt in range(self.max_retries + 1):
            slot = await self._slot(key, estimate, self.max_wait_s - waited)
            if isinstance(slot, Fetched):
                return stale_or(entry, url, slot)
            ticket, slept = slot
            waited += slept
            sent = sent_trace(self.tracker, key, ticket)
            try:
                async with asyncio.timeout(self.http.timeout_s):
                    status, headers, body, final, encoding = await get_following_redirects(
                        self.http, url, entry, client, sent
                    )
            except UrlRefused as exc:
                await sent("done", None)
                return Fetched(url, error=str(exc))
            except (httpx.HTTPError, OSError, TimeoutError) as exc:
                await sent("done", None)
                await self._record(key, 0, {}, attempt)
                timed_out = isinstance(exc, httpx.TimeoutException | TimeoutError)
                reason = "timed out" if timed_out else f"unreachable ({type(exc).__name__})"
                return stale_or(entry, url, Fetched(url, error=f"{host_key(url)} {reason}"))
            delay = await self._record(key, status, headers, attempt, len(body) // 4, ticket)
            if status in (429, 503):
                if attempt < self.max_retries and waited + delay <= self.max_wait_s:
                    log.debug("%s: HTTP %d, wait %.2f s, then retry (backoff)", key, status, delay)
                    await asyncio.sleep(delay)
                    waited += delay
                    continue
                return stale_or(entry, url, rate_limited(url, f"HTTP {status}", delay))
            if status == 304 and entry:
                log.debug("%s: HTTP 304, the cached body is still current (revalidated)", url)
                entry = {**entry, "fetched_at": time.time()}
                self.cache.put(self.cache_key(url), entry)
                return from_entry(url, entry, "revalidated")
            if not 200 <= status < 300:
                return Fetched(url, error=f"HTTP {status} from {host_key(final)}")
            text = body_text(self.http, body, headers, encoding)
            entry = {
                "text": text,
                "etag": headers.get("etag"),
                "last_modified": headers.get("last-modified"),
                "fetched_at": time.time(),
                "size": len(body),
            }
            self.cache.put(self.cache_key(url), entry)
            log.debug("%s: HTTP %d, %d bytes (fresh)", url, status, len(body))
            return from_entry(url, entry, "fresh")
        return Fetched(url, error="no response")  # the loop always returns; kept for type checkers

    async def _slot(
        self, key: str, tokens: int, budget_s: float
    ) -> tuple[int | None, float] | Fetched:
        """Wait for the tracker to admit a request: (ticket, seconds waited), or a
        rate-limited result when the wait would exceed ``budget_s``."""
        waited = 0.0
        while True:
            try:
                admission = await asyncio.to_thread(self.tracker.try_acquire, key, tokens)
            except StoreBusy as exc:
                return Fetched(key, error=f"not fetched: {exc}")
            if admission.admitted:
                return admission.ticket, waited
            if waited + admission.wait_s > budget_s:
                log.debug(
                    "%s: not fetched: a %.1f s wait (%s) is past the %.1f s left to wait",
                    key,
                    admission.wait_s,
                    admission.reason,
                    max(budget_s - waited, 0.0),
                )
                return rate_limited(key, f"{admission.reason} limit", admission.wait_s)
            pause = min(admission.wait_s, 5.0)
            await asyncio.sleep(pause)
            waited += pause

    async def _record(
        self,
        key: str,
        status: int,
        headers: Mapping[str, str],
        attempt: int,
        tokens: int = 0,
        ticket: int | None = None,
    ) -> float:
        try:
            return await asyncio.to_thread(
                self.tracker.record, key, status, headers, attempt, tokens, ticket
            )
        except StoreBusy:
            return 0.0  # the response is what matters now; the tracker learns next time
