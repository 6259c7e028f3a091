"""Exact Claude counts from Anthropic's ``POST /v1/messages/count_tokens``.

The endpoint is free but has its own requests-per-minute limit, so every request goes
through the shared rate tracker (which learns ``anthropic-ratelimit-requests-*`` and
honours ``retry-after``), each distinct text is counted once across processes (a claim in
the tracker's store, then the answer in the disk cache), and retries are bounded. Every
wait is bounded too: one exchange (connect, send, every byte of the answer) has
``http.timeout_s`` in all, and a count waits for the tracker and retries at most
``MAX_WAIT_S`` in all before it settles for an estimate.

The key is read from ``ANTHROPIC_API_KEY`` for each request and only ever sent as the
``x-api-key`` header: it is never stored, logged, cached or put in an error message (an
answer that quotes it has it redacted). The endpoint comes from ``ANTHROPIC_BASE_URL`` (as
the official SDK reads it), else ``https://api.anthropic.com``: the user's environment
only, never a repository's config.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from tokenls.cache import stored
from tokenls.helper_loop import HelperLoop
from tokenls.ratelimit import RateTracker
from tokenls.ratelimit.store_disk import StoreBusy
from tokenls.ratelimit.trace import sent_trace
from tokenls.redact import redact
from tokenls.references.url_checks import host_key

KEY_ENV = "ANTHROPIC_API_KEY"
BASE_URL_ENV = "ANTHROPIC_BASE_URL"
DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
PATH = "/v1/messages/count_tokens"
MAX_ATTEMPTS = 4
MAX_WAIT_S = 60.0  # the longest one count waits for the tracker and retries, in all
MAX_ANSWER_BYTES = 64 * 1024  # an answer is a few dozen bytes; more is not read
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
        self._loop = HelperLoop("tokenls-count-tokens")
        self._client: httpx.AsyncClient | None = None  # made on the helper loop, kept there
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
        try:
            while not self._claim(claim, owner):
                found = lookup()
                if found is not None:
                    return Answer(found)
                if time.monotonic() > deadline:
                    return Answer(reason="another tokenls process is still counting this text")
                time.sleep(0.05)
        except StoreBusy as exc:
            return Answer(reason=f"not sent: {exc}")
        try:
            found = lookup()  # answered while this process waited for the claim
            if found is not None:
                return Answer(found)
            answer = self._ask(model, text, key)
            if answer.tokens is not None:
                store(answer.tokens)
            return _without_key(answer, key)
        finally:
            with contextlib.suppress(StoreBusy):  # the claim lapses after CLAIM_S anyway
                self._release(claim, owner)

    def _ask(self, model: str, text: str, key: str) -> Answer:
        body = {"model": model, "messages": [{"role": "user", "content": text}]}
        headers = {
            "x-api-key": key,
            "anthropic-version": API_VERSION,
            "content-type": "application/json",
        }
        waited = 0.0
        for attempt in range(MAX_ATTEMPTS):
            slot = self._slot(MAX_WAIT_S - waited)
            if isinstance(slot, Answer):
                return slot
            ticket, slept = slot
            waited += slept
            try:
                status, answer_headers, data = self._loop.run(self._exchange(body, headers, ticket))
            except (httpx.HTTPError, OSError, TimeoutError) as exc:
                self._record(0, {}, attempt)
                timed_out = isinstance(exc, httpx.TimeoutException | TimeoutError)
                what = "timed out" if timed_out else "unreachable"
                return self._give_up(f"{self.rate_key} {what} ({type(exc).__name__})", OFFLINE_S)
            finally:
                self.requests += 1
            # The tracker backs off on 429 and 503; an overloaded 529 is the same signal.
            status_seen = 503 if status == _OVERLOADED else status
            delay = self._record(status_seen, answer_headers, attempt, ticket)
            if status == 200:
                return _tokens(data)
            if status in (401, 403):
                return self._give_up(f"HTTP {status}: the API key in {KEY_ENV} was refused")
            if status in (429, 503, _OVERLOADED):
                what = "overloaded" if status == _OVERLOADED else "rate limited"
                if attempt + 1 == MAX_ATTEMPTS or waited + delay > MAX_WAIT_S:
                    return Answer(reason=f"HTTP {status}: {what} after {attempt + 1} attempts")
                time.sleep(delay)
                waited += delay
                continue
            # The endpoint may echo what it was sent: the key never reaches a message.
            return Answer(reason=f"HTTP {status}: {redact(_error_type(data), [key])}")
        return Answer(reason="no answer")  # the loop always returns; kept for type checkers

    def _slot(self, budget_s: float) -> tuple[int | None, float] | Answer:
        """Wait for the tracker to admit a request: (ticket, seconds waited), or why not
        when the wait would exceed ``budget_s``."""
        waited = 0.0
        while True:
            try:
                admission = self.tracker.try_acquire(self.rate_key)
            except StoreBusy as exc:
                return Answer(reason=f"not sent: {exc}")
            if admission.admitted:
                return admission.ticket, waited
            if waited + admission.wait_s > budget_s:
                return Answer(
                    reason=f"rate limited ({admission.reason} limit): next request to "
                    f"{self.rate_key} allowed in {admission.wait_s:.0f} s"
                )
            pause = min(admission.wait_s, 5.0)
            time.sleep(pause)
            waited += pause

    async def _exchange(
        self, body: dict[str, Any], headers: dict[str, str], ticket: int | None
    ) -> tuple[int, httpx.Headers, bytes]:
        """One request and its answer, within ``timeout_s`` in all; the tracker is told when
        the request went out, so the next one is spaced from then."""
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout_s))
        sent = sent_trace(self.tracker, self.rate_key, ticket)
        try:
            async with (
                asyncio.timeout(self.timeout_s),
                self._client.stream(
                    "POST", self.url, json=body, headers=headers, extensions={"trace": sent}
                ) as response,
            ):
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > MAX_ANSWER_BYTES:
                        break
                return response.status_code, response.headers, bytes(data)
        finally:
            await sent("done", None)

    def _record(
        self, status: int, headers: Mapping[str, str], attempt: int, ticket: int | None = None
    ) -> float:
        try:
            return self.tracker.record(self.rate_key, status, headers, attempt, 0, ticket)
        except StoreBusy:
            return 0.0  # the answer is what matters now; the tracker learns next time

    def _claim(self, claim: str, owner: str) -> bool:
        def change(state: dict[str, Any]) -> tuple[dict[str, Any], bool]:
            now = time.time()
            until = stored.moment(state.get("until")) or 0.0
            if until > now and state.get("owner") != owner:
                return state, False
            return {"owner": owner, "until": now + CLAIM_S}, True

        return bool(self.tracker.store.update(claim, change))

    def _release(self, claim: str, owner: str) -> None:
        def change(state: dict[str, Any]) -> tuple[dict[str, Any], None]:
            return ({} if state.get("owner") == owner else state), None

        self.tracker.store.update(claim, change)


def _without_key(answer: Answer, key: str) -> Answer:
    if answer.reason is None:
        return answer
    return Answer(answer.tokens, redact(answer.reason, [key]))


def _tokens(data: bytes) -> Answer:
    try:
        tokens = json.loads(data)["input_tokens"]
    except (ValueError, KeyError, TypeError):
        return Answer(reason="HTTP 200 without input_tokens")
    if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 0:
        return Answer(reason="HTTP 200 with an invalid input_tokens")
    return Answer(tokens)


def _error_type(data: bytes) -> str:
    # Only the error's type: a message could quote the request, so it is not repeated.
    try:
        kind = json.loads(data)["error"]["type"]
    except (ValueError, KeyError, TypeError):
        return "error"
    return str(kind)[:80] if isinstance(kind, str) else "error"
