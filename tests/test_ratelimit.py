from __future__ import annotations

import threading
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from tokenls.ratelimit import Limits, RateConfig, RateTracker
from tokenls.ratelimit.headers import parse_duration, parse_retry_after, read_limits
from tokenls.ratelimit.store_disk import DiskStore


class MemoryStore:
    def __init__(self) -> None:
        self.states: dict[str, dict] = {}
        self.lock = threading.Lock()

    def update(self, key, change):  # type: ignore[no-untyped-def]
        with self.lock:
            state, result = change(self.states.get(key, {}))
            self.states[key] = state
            return result

    def read(self, key):  # type: ignore[no-untyped-def]
        return self.states.get(key, {})


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _tracker(**kw) -> tuple[RateTracker, Clock]:  # type: ignore[no-untyped-def]
    clock = Clock()
    config = RateConfig(limits={"api": Limits(requests_per_minute=100)}, **kw)
    return RateTracker(MemoryStore(), config, clock), clock


def test_window_admits_only_the_target_share_then_waits_for_it_to_slide() -> None:
    tracker, clock = _tracker(target=0.6, min_interval_s=0)
    admitted = 0
    while tracker.try_acquire("api").admitted:
        admitted += 1
        clock.now += 0.01
    assert admitted == 60  # 60% of 100 per minute
    refused = tracker.try_acquire("api")
    assert not refused.admitted and refused.reason == "requests"
    assert 59 < refused.wait_s <= 60
    clock.now += refused.wait_s + 0.001
    assert tracker.try_acquire("api").admitted


def test_minimum_spacing_between_requests() -> None:
    tracker, clock = _tracker(min_interval_s=0.15)
    first = tracker.try_acquire("api")
    assert first.admitted
    tracker.mark_sent("api", first.ticket)
    second = tracker.try_acquire("api")
    assert (
        not second.admitted and second.reason == "spacing" and second.wait_s == pytest.approx(0.15)
    )
    clock.now += 0.15
    assert tracker.try_acquire("api").admitted


def test_a_429_backs_everyone_off_honouring_retry_after_and_halves_the_target() -> None:
    tracker, clock = _tracker(min_interval_s=0)
    assert tracker.try_acquire("api").admitted
    delay = tracker.record("api", 429, {"Retry-After": "7"})
    assert delay == 7
    blocked = tracker.try_acquire("api")
    assert (
        not blocked.admitted and blocked.reason == "backoff" and blocked.wait_s == pytest.approx(7)
    )
    assert tracker.status("api").target == pytest.approx(0.3)
    clock.now += 7
    assert tracker.try_acquire("api").admitted
    for _ in range(20):  # additive recovery, capped at the configured target
        tracker.record("api", 200, {})
    assert tracker.status("api").target == pytest.approx(0.6)


def test_exponential_backoff_with_jitter_without_retry_after() -> None:
    tracker, _ = _tracker(min_interval_s=0, base_backoff_s=1.0)
    delays = [tracker.record("api", 503, {}, attempt=n) for n in range(4)]
    for n, delay in enumerate(delays):
        assert 0.5 * 2**n <= delay <= 1.5 * 2**n


def test_token_limits_count_too() -> None:
    clock = Clock()
    config = RateConfig(min_interval_s=0, limits={"api": Limits(tokens_per_minute=1000)})
    tracker = RateTracker(MemoryStore(), config, clock)
    assert tracker.try_acquire("api", tokens=500).admitted
    refused = tracker.try_acquire("api", tokens=200)
    assert not refused.admitted and refused.reason == "tokens"


def test_learned_limits_from_headers_tighten_the_window() -> None:
    tracker, clock = _tracker(min_interval_s=0)
    tracker.record(
        "api",
        200,
        {
            "x-ratelimit-limit-requests": "10",
            "x-ratelimit-remaining-requests": "9",
            "x-ratelimit-reset-requests": "6s",
        },
    )
    admitted = 0
    while tracker.try_acquire("api").admitted:
        admitted += 1
        clock.now += 0.01
    assert admitted == 6  # 60% of the learned 10 rpm, not of the configured 100
    assert "/10 rpm" in tracker.status("api").line()


def test_header_formats() -> None:
    now = 1_700_000_000.0
    assert (
        parse_duration("6m0s") == 360
        and parse_duration("20ms") == 0.02
        and parse_duration("1h2m3s") == 3723
    )
    assert parse_duration("soon") is None
    assert parse_retry_after("12", now) == 12
    date = format_datetime(datetime.fromtimestamp(now + 30, UTC), usegmt=True)
    assert parse_retry_after(date, now) == pytest.approx(30, abs=1)
    openai = read_limits(
        {
            "x-ratelimit-limit-tokens": "90000",
            "x-ratelimit-reset-tokens": "1m30s",
            "x-ratelimit-limit-requests": "60",
        },
        now,
    )
    assert (
        openai.tokens_limit == 90000
        and openai.tokens_reset_at == now + 90
        and openai.requests_limit == 60
    )
    anthropic = read_limits(
        {
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "49",
            "anthropic-ratelimit-requests-reset": "2023-11-14T22:14:00Z",
        },
        now,
    )
    assert anthropic.requests_limit == 50 and anthropic.requests_reset_at == pytest.approx(
        1700000040
    )
    ietf = read_limits(
        {"RateLimit-Policy": "100;w=30", "RateLimit": "limit=100, remaining=20, reset=5"}, now
    )
    assert (
        ietf.requests_limit == 200
        and ietf.requests_remaining == 20
        and ietf.requests_reset_at == now + 5
    )
    structured = read_limits(
        {"RateLimit-Policy": '"default";q=100;w=60', "RateLimit": '"default";r=50;t=30'}, now
    )
    assert structured.requests_limit == 100 and structured.requests_remaining == 50
    legacy = read_limits(
        {"RateLimit-Limit": "30", "RateLimit-Remaining": "0", "RateLimit-Reset": "12"}, now
    )
    assert (
        legacy.requests_limit == 30
        and legacy.requests_remaining == 0
        and legacy.requests_reset_at == now + 12
    )
    assert read_limits({"content-type": "text/plain"}, now) is None


def test_disk_store_is_atomic_across_threads(tmp_path: Path) -> None:
    store = DiskStore(tmp_path)
    tracker = RateTracker(
        store, RateConfig(min_interval_s=0, target=1.0, limits={"api": Limits(120)})
    )
    admitted = []

    def worker() -> None:
        count = sum(1 for _ in range(100) if tracker.try_acquire("api").admitted)
        admitted.append(count)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(admitted) == 120  # never more than the window allows, whoever asks


class SlowLockStore(MemoryStore):
    """A store whose lock takes ``delay`` seconds of the fake clock to acquire."""

    def __init__(self, clock: Clock, delay: float) -> None:
        super().__init__()
        self.clock = clock
        self.delay = delay

    def update(self, key, change):  # type: ignore[no-untyped-def]
        self.clock.now += self.delay  # waiting for another process's transaction
        return super().update(key, change)


def test_spacing_is_measured_from_when_the_lock_was_held_not_when_it_was_asked() -> None:
    clock = Clock()
    store = SlowLockStore(clock, delay=0.1)
    tracker = RateTracker(store, RateConfig(min_interval_s=0.15), clock)
    start = clock.now
    assert tracker.try_acquire("api").admitted  # admitted at start + 0.1, inside the lock
    clock.now = start + 0.1  # asked 0.1 s after the first was asked...
    second = tracker.try_acquire("api")  # ...held the lock at start + 0.2: only 0.1 s later
    assert not second.admitted and second.reason == "spacing"


def test_a_burst_of_429s_lowers_the_target_once_per_window() -> None:
    tracker, clock = _tracker(min_interval_s=0, window_s=60.0)
    for _ in range(4):  # four requests in flight, all answered 429 together
        tracker.record("api", 429, {"Retry-After": "1"})
    assert tracker.status("api").target == pytest.approx(0.3)
    clock.now += 61  # a 429 in a later window is news: lower again
    tracker.record("api", 429, {"Retry-After": "1"})
    assert tracker.status("api").target == pytest.approx(0.15)


def test_tokens_per_minute_uses_the_request_estimate_then_the_recorded_cost() -> None:
    clock = Clock()
    config = RateConfig(
        min_interval_s=0, target=1.0, limits={"api": Limits(tokens_per_minute=1000)}
    )
    tracker = RateTracker(MemoryStore(), config, clock)
    first = tracker.try_acquire("api", tokens=100)
    assert first.admitted
    tracker.record("api", 200, {}, tokens=900, ticket=first.ticket)  # the body was bigger
    assert tracker.status("api").used_tokens == 900
    # An unknown cost is estimated from the window's mean (900): over the 1000 budget.
    refused = tracker.try_acquire("api")
    assert not refused.admitted and refused.reason == "tokens"
