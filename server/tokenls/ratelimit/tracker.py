"""One request budget per upstream host, shared by every tokenls process.

The state of each key (a host, or a configured name) lives in a store that updates it
atomically (``store_disk`` for one machine, ``store_redis`` for a team), so editor windows,
CI runs and scripts never add up to more than the upstream allows. A request is admitted
only while the sliding window stays under the *effective target* share of each limit and
the minimum spacing has passed; otherwise the caller is told how long to wait. A 429 or 503
starts a shared backoff (``Retry-After`` honoured) and halves the effective target, which
then recovers additively toward the configured target. No wait is ever longer than
``max_backoff_s``, whatever a response or an old stored state says.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tokenls.cache import stored
from tokenls.ratelimit.headers import LearnedLimits, parse_retry_after, read_limits

log = logging.getLogger("tokenls.rate")

State = dict[str, Any]


class Store(Protocol):
    """Atomic read-modify-write of one key's state, across processes."""

    def update(self, key: str, change: Callable[[State], tuple[State, Any]]) -> Any: ...

    def read(self, key: str) -> State: ...


@dataclass(frozen=True, slots=True)
class Limits:
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None


@dataclass(frozen=True, slots=True)
class RateConfig:
    target: float = 0.6
    min_interval_s: float = 0.15
    window_s: float = 60.0
    max_retries: int = 4
    base_backoff_s: float = 1.0
    max_backoff_s: float = 120.0
    decrease: float = 0.5  # multiplicative decrease of the effective target after a 429
    increase: float = 0.02  # additive recovery per successful request
    floor: float = 0.05
    send_grace_s: float = 2.0  # how long an admitted request may take to go out
    limits: Mapping[str, Limits] = field(default_factory=dict)

    def limits_for(self, key: str) -> Limits:
        return self.limits.get(key) or self.limits.get("*") or Limits()


@dataclass(frozen=True, slots=True)
class Admission:
    admitted: bool
    wait_s: float = 0.0
    reason: str = ""
    ticket: int | None = None  # identifies the admitted request when its cost is recorded


@dataclass(frozen=True, slots=True)
class RateStatus:
    key: str
    used_requests: int
    requests_limit: float | None
    used_tokens: int
    tokens_limit: float | None
    target: float
    next_slot_s: float
    backoff_s: float

    def line(self) -> str:
        rpm = (
            f"{self.used_requests}/{self.requests_limit:g} rpm"
            if self.requests_limit
            else f"{self.used_requests} requests/min"
        )
        tpm = f", {self.used_tokens:,}/{self.tokens_limit:,.0f} tpm" if self.tokens_limit else ""
        backoff = f", backing off {self.backoff_s:.1f} s" if self.backoff_s > 0 else ""
        return f"{self.key}: {rpm}{tpm}, target {self.target:.0%}, next slot in {self.next_slot_s:.1f} s{backoff}"


class RateTracker:
    def __init__(
        self, store: Store, config: RateConfig, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.config = config
        self.clock = clock

    def try_acquire(self, key: str, tokens: int = 0) -> Admission:
        """Admit one request now, recording it, or say how long to wait.

        ``tokens`` is the request's estimated cost against ``tokens_per_minute``; 0 means
        unknown, and the mean of the requests in the window stands in for it. The clock is
        read inside the store's transaction: time spent waiting for another process's lock
        must not make the spacing look longer than it is.
        """
        limits = self.config.limits_for(key)
        cfg = self.config

        def change(state: State) -> tuple[State, Admission]:
            now = self.clock()
            state = _fresh(state, cfg, now)
            events = [e for e in state["events"] if e[0] > now - cfg.window_s]
            state["events"] = events
            waits: list[tuple[float, str]] = []
            if state["backoff_until"] > now:
                waits.append((state["backoff_until"] - now, "backoff"))
            spacing = state["last"] + cfg.min_interval_s - now
            if spacing > 0:
                waits.append((spacing, "spacing"))
            # Spacing counts from when a request really went out: while an admitted one has
            # not (a busy machine can hold it back), the next waits for it.
            in_flight = {t: until for t, until in state["unsent"].items() if until > now}
            state["unsent"] = in_flight
            if cfg.min_interval_s > 0 and in_flight:
                waits.append((min(min(in_flight.values()) - now, 0.02), "spacing"))
            share = min(state["target"], cfg.target)
            window = cfg.window_s / 60.0
            rpm = _learned(state, "requests", limits.requests_per_minute, now)
            if rpm:
                allowed = max(int(rpm * window * share), 1)
                if len(events) + 1 > allowed:
                    waits.append(
                        (events[len(events) - allowed][0] + cfg.window_s - now, "requests")
                    )
            tpm = _learned(state, "tokens", limits.tokens_per_minute, now)
            estimate = tokens or _mean_tokens(events)
            if tpm and estimate:
                allowed_tokens = tpm * window * share
                used = sum(e[1] for e in events)
                if used + estimate > allowed_tokens and events:
                    excess = used + estimate - allowed_tokens
                    waits.append((_time_to_free(events, excess, cfg.window_s, now), "tokens"))
            if waits:
                wait, reason = max(waits)
                return state, Admission(False, min(max(wait, 0.001), cfg.max_backoff_s), reason)
            ticket = random.getrandbits(48)
            events.append([now, estimate, ticket])
            state["last"] = now
            if cfg.min_interval_s > 0:
                state["unsent"][str(ticket)] = now + cfg.send_grace_s
            return state, Admission(True, ticket=ticket)

        admission: Admission = self.store.update(key, change)
        if not admission.admitted:
            log.debug("%s: wait %.2f s (%s)", key, admission.wait_s, admission.reason)
        return admission

    def mark_sent(self, key: str, ticket: int | None) -> None:
        """The admitted request ``ticket`` has just gone out (or failed before it could):
        spacing counts from now.

        Between admission and the bytes leaving, a busy machine can lose tens of
        milliseconds; measuring the next request's spacing from the real send keeps two
        processes' requests apart on the wire, not just in the store.
        """
        cfg = self.config

        def change(state: State) -> tuple[State, None]:
            now = self.clock()
            state = _fresh(state, cfg, now)
            for event in state["events"]:
                if len(event) > 2 and event[2] == ticket:
                    event[0] = max(event[0], now)
            if state["unsent"].pop(str(ticket), None) is not None:
                state["last"] = max(state["last"], now)
            return state, None

        self.store.update(key, change)

    def record(
        self,
        key: str,
        status: int,
        headers: Mapping[str, str],
        attempt: int = 0,
        tokens: int = 0,
        ticket: int | None = None,
    ) -> float:
        """Learn from a response; returns the backoff to wait before a retry (0 if none).

        ``tokens`` is the response's real cost, replacing the estimate of the admission
        ``ticket``. A burst of 429s lowers the effective target once per window, not once
        per response: they all answer the same overload. Every wait is capped at
        ``max_backoff_s`` before it is stored, whatever the headers say.
        """
        cfg = self.config
        lowered = {k.lower(): v for k, v in headers.items()}

        def change(state: State) -> tuple[State, float]:
            now = self.clock()
            learned = read_limits(lowered, now)
            retry_after = parse_retry_after(lowered.get("retry-after"), now)
            state = _fresh(state, cfg, now)
            if learned is not None:
                state["learned"] = _merge(state.get("learned") or {}, learned)
            if tokens and ticket is not None:
                for event in state["events"]:
                    if len(event) > 2 and event[2] == ticket:
                        event[1] = tokens
            delay = 0.0
            if status in (429, 503):
                if now - state["decreased_at"] >= cfg.window_s:
                    state["target"] = max(state["target"] * cfg.decrease, cfg.floor)
                    state["decreased_at"] = now
                backoff = cfg.base_backoff_s * 2**attempt * random.uniform(0.5, 1.5)
                delay = _capped(retry_after if retry_after is not None else backoff, cfg)
                state["backoff_until"] = max(state["backoff_until"], now + delay)
            elif 200 <= status < 400:
                state["target"] = min(state["target"] + cfg.increase, cfg.target)
                if (
                    learned is not None
                    and learned.requests_remaining == 0
                    and learned.requests_reset_at
                ):
                    until = now + _capped(learned.requests_reset_at - now, cfg)
                    state["backoff_until"] = max(state["backoff_until"], until)
            return state, delay

        return self.store.update(key, change)

    def status(self, key: str) -> RateStatus:
        now = self.clock()
        cfg = self.config
        state = _fresh(self.store.read(key), cfg, now)
        events = [e for e in state["events"] if e[0] > now - cfg.window_s]
        limits = cfg.limits_for(key)
        admission_wait = max(
            state["backoff_until"] - now, state["last"] + cfg.min_interval_s - now, 0.0
        )
        return RateStatus(
            key,
            len(events),
            _learned(state, "requests", limits.requests_per_minute, now),
            int(sum(e[1] for e in events)),
            _learned(state, "tokens", limits.tokens_per_minute, now),
            min(state["target"], cfg.target),
            admission_wait,
            max(state["backoff_until"] - now, 0.0),
        )


def _capped(seconds: float, cfg: RateConfig) -> float:
    """A wait in [0, max_backoff_s]; nan and inf (hostile or broken headers) become the cap."""
    if not math.isfinite(seconds):
        return cfg.max_backoff_s
    return min(max(seconds, 0.0), cfg.max_backoff_s)


def _mean_tokens(events: list[list[float]]) -> int:
    return int(sum(e[1] for e in events) / len(events)) if events else 0


def _fresh(state: State | None, cfg: RateConfig, now: float) -> State:
    """The stored state with defaults, and no wait longer than ``max_backoff_s`` from now:
    a state written by an older version (``backoff_until = inf``) must not hang anyone."""
    state = _valid(state)
    state.setdefault("events", [])
    state.setdefault("last", 0.0)
    state.setdefault("backoff_until", 0.0)
    state.setdefault("target", cfg.target)
    state.setdefault("decreased_at", 0.0)
    state.setdefault("unsent", {})  # admitted tickets not yet sent -> when to stop waiting
    state["backoff_until"] = now + _capped(state["backoff_until"] - now, cfg)
    if not math.isfinite(state["last"]) or state["last"] > now:
        state["last"] = now
    if not math.isfinite(state["target"]) or state["target"] <= 0:
        state["target"] = cfg.target
    return state


def _valid(value: Any) -> State:
    """The parts of a stored state that have the shape the tracker wrote; the rest are
    dropped and start again from their defaults (a damaged state never raises)."""
    if type(value) is not dict:
        return {}
    state: State = {}
    for name in ("last", "backoff_until", "target", "decreased_at"):
        if (number := stored.moment(value.get(name))) is not None:
            state[name] = number
    events = value.get("events")
    if type(events) is list:
        state["events"] = [
            event
            for event in events
            if type(event) is list
            and 2 <= len(event) <= 3
            and all(stored.moment(part) is not None for part in event)
        ]
    unsent = value.get("unsent")
    if type(unsent) is dict:
        state["unsent"] = {
            str(t): until for t, until in unsent.items() if stored.moment(until) is not None
        }
    learned = value.get("learned")
    if type(learned) is dict:
        state["learned"] = {
            name: number
            for name in ("requests_limit", "tokens_limit", "expires")
            if (number := stored.moment(learned.get(name))) is not None
        }
    return state


def _learned(state: State, kind: str, configured: float | None, now: float) -> float | None:
    learned = state.get("learned") or {}
    value = learned.get(f"{kind}_limit")
    if value and (learned.get("expires", now + 1) > now):
        return min(float(value), configured) if configured else float(value)
    return configured


def _merge(old: dict[str, Any], new: LearnedLimits) -> dict[str, Any]:
    merged = dict(old)
    for name in ("requests_limit", "tokens_limit"):
        value = getattr(new, name)
        if value:
            merged[name] = value
    merged["expires"] = new.observed_at + 3600
    return merged


def _time_to_free(events: list[list[float]], excess: float, window_s: float, now: float) -> float:
    freed = 0.0
    for t, tokens, *_ticket in events:
        freed += tokens
        if freed >= excess:
            return t + window_s - now
    return window_s
