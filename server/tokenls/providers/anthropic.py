"""Exact Claude counts from Anthropic's ``POST /v1/messages/count_tokens``.

The endpoint is free but has its own requests-per-minute limit, so every request goes
through the shared rate tracker (which learns ``anthropic-ratelimit-requests-*`` and
honours ``retry-after``), each distinct text is counted once across processes (a claim in
the tracker's store, then the answer in the disk cache), and retries are bounded.

The key is read from ``ANTHROPIC_API_KEY`` for each request and only ever sent as the
``x-api-key`` header: it is never stored, logged, cached or put in an error message. The
endpoint comes from ``ANTHROPIC_BASE_URL`` (as the official SDK reads it), else
``https://api.anthropic.com``: the user's environment only, never a repository's config.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tokenls.ratelimit import RateTracker
from tokenls.references.urls import host_key

KEY_ENV = "ANTHROPIC_API_KEY"
BASE_URL_ENV = "ANTHROPIC_BASE_URL"
DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
PATH = "/v1/messages/count_tokens"
MAX_ATTEMPTS = 4
MAX_WAIT_S = 60.0  # a retry-after longer than this ends the attempt with an estimate
CLAIM_S = 30.0  # how long a claim on a text holds while its owner asks the API
OFFLINE_S = 60.0  # after the endpoint was unreachable, texts are estimated this long
_OVERLOADED = 529


@dataclass(frozen=True, slots=True)
class Answer:
    """The endpoint's count, or why there is none (then the caller estimates)."""

    tokens: int | None = None
    reason: str | None = None


def api_key() -> str | None:
    return os.environ.get(KEY_ENV) or None


def base_url() -> str:
    return (os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")


class CountTokensApi:
    """Counts texts through the endpoint, one request per distinct text and model."""

    def __init__(self, tracker: RateTracker, timeout_s: float = 10.0) -> None:
        self.tracker = tracker
        self.timeout_s = timeout_s
        self.url = base_url() + PATH
        self.rate_key = host_key(self.url)
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        # After a refused key (for good) or an unreachable endpoint (for OFFLINE_S), later
        # texts are estimated at once instead of each waiting for the same failure.
        self._unavailable: tuple[str, float] | None = None
        self.failures: dict[str, str] = {}  # cache key -> why that text has no exact count
        self.requests = 0

    @property
    def unavailable(self) -> str | None:
        """Why no request is sent at the moment, or None."""
        if self._unavailable is None or time.monotonic() > self._unavailable[1]:
            return None
        return self._unavailable[0]

    def _give_up(self, reason: str, for_s: float = float("inf")) -> Answer:
        self._unavailable = (reason, time.monotonic() + for_s)
        return Answer(reason=reason)

    def count(self, model: str, text: str, digest: str, lookup: Any, store: Any) -> Answer:
        """The count of ``text`` for ``model``: from ``lookup`` (the disk cache) when another
        process answered it, else from the endpoint; ``store`` keeps a fresh answer."""
        key = api_key()
        if key is None:
            return Answer(reason=f"no {KEY_ENV} set")
        if self.unavailable:
            return Answer(reason=self.unavailable)
        claim = f"claim:{model}:{digest}"
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + CLAIM_S * 4
        while not self._claim(claim, owner):
            found = lookup()
            if found is not None:
                return Answer(found)
            if time.monotonic() > deadline:
                return Answer(reason="another tokenls process is still counting this text")
            time.sleep(0.05)
        try:
            found = lookup()  # answered while this process waited for the claim
            if found is not None:
                return Answer(found)
            answer = self._ask(model, text, key)
            if answer.tokens is not None:
                store(answer.tokens)
            return answer
        finally:
            self._release(claim, owner)

    def _ask(self, model: str, text: str, key: str) -> Answer:
        body = {"model": model, "messages": [{"role": "user", "content": text}]}
        headers = {
            "x-api-key": key,
            "anthropic-version": API_VERSION,
            "content-type": "application/json",
        }
        client = self._http()  # made before the slot: a request leaves as soon as admitted
        for attempt in range(MAX_ATTEMPTS):
            self._slot()
            try:
                response = client.post(self.url, json=body, headers=headers)
            except httpx.HTTPError as exc:
                self.tracker.record(self.rate_key, 0, {}, attempt)
                what = "timed out" if isinstance(exc, httpx.TimeoutException) else "unreachable"
                return self._give_up(f"{self.rate_key} {what} ({type(exc).__name__})", OFFLINE_S)
            finally:
                self.requests += 1
            status = response.status_code
            # The tracker backs off on 429 and 503; an overloaded 529 is the same signal.
            delay = self.tracker.record(
                self.rate_key, 503 if status == _OVERLOADED else status, response.headers, attempt
            )
            if status == 200:
                return _tokens(response)
            if status in (401, 403):
                return self._give_up(f"HTTP {status}: the API key in {KEY_ENV} was refused")
            if status in (429, 503, _OVERLOADED):
                what = "overloaded" if status == _OVERLOADED else "rate limited"
                if attempt + 1 == MAX_ATTEMPTS or delay > MAX_WAIT_S:
                    return Answer(reason=f"HTTP {status}: {what} after {attempt + 1} attempts")
                time.sleep(delay)
                continue
            return Answer(reason=f"HTTP {status}: {_error_type(response)}")
        return Answer(reason="no answer")  # the loop always returns; kept for type checkers

    def _slot(self) -> None:
        while True:
            admission = self.tracker.try_acquire(self.rate_key)
            if admission.admitted:
                return
            time.sleep(min(admission.wait_s, 5.0))

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=httpx.Timeout(self.timeout_s))
            return self._client

    def _claim(self, claim: str, owner: str) -> bool:
        def change(state: dict[str, Any]) -> tuple[dict[str, Any], bool]:
            now = time.time()
            if state.get("until", 0) > now and state.get("owner") != owner:
                return state, False
            return {"owner": owner, "until": now + CLAIM_S}, True

        return bool(self.tracker.store.update(claim, change))

    def _release(self, claim: str, owner: str) -> None:
        def change(state: dict[str, Any]) -> tuple[dict[str, Any], None]:
            return ({} if state.get("owner") == owner else state), None

        self.tracker.store.update(claim, change)


def _tokens(response: httpx.Response) -> Answer:
    try:
        tokens = response.json()["input_tokens"]
    except (ValueError, KeyError, TypeError):
        return Answer(reason="HTTP 200 without input_tokens")
    if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 0:
        return Answer(reason="HTTP 200 with an invalid input_tokens")
    return Answer(tokens)


def _error_type(response: httpx.Response) -> str:
    # Only the error's type: a message could quote the request, so it is not repeated.
    try:
        kind = response.json()["error"]["type"]
    except (ValueError, KeyError, TypeError):
        return "error"
    return str(kind)[:80] if isinstance(kind, str) else "error"
