"""Live limits read from response headers, normalised to requests and tokens per minute.

Understands OpenAI's ``x-ratelimit-*`` (resets as durations like ``6m0s``), Anthropic's
``anthropic-ratelimit-*`` (RFC 3339 resets), the IETF ``RateLimit`` / ``RateLimit-Policy``
fields and the older ``RateLimit-Limit/Remaining/Reset`` trio, and ``Retry-After`` as
seconds or an HTTP date. Unparseable values are ignored, never fatal; so are counts and
resets that are not finite numbers (``nan``, ``inf``). A ``Retry-After`` of ``inf`` still
means "wait": it is returned as is and the tracker caps every wait at ``max_backoff_s``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


@dataclass(frozen=True, slots=True)
class LearnedLimits:
    observed_at: float
    requests_limit: float | None = None  # per minute
    requests_remaining: float | None = None
    requests_reset_at: float | None = None  # epoch seconds
    tokens_limit: float | None = None  # per minute
    tokens_remaining: float | None = None
    tokens_reset_at: float | None = None


def parse_duration(value: str) -> float | None:
    """``6m0s`` → 360.0, ``20ms`` → 0.02, ``1.5s`` → 1.5, ``30`` → 30.0."""
    value = value.strip()
    try:
        return _finite(float(value))
    except ValueError:
        pass
    parts = _DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value.replace(" ", ""):
        return None
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return _finite(sum(float(n) * scale[u] for n, u in parts))


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return None if math.isnan(seconds) else max(seconds, 0.0)
    try:
        return max(parsedate_to_datetime(value).timestamp() - now, 0.0)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _rfc3339(value: str) -> float | None:
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError):
        return None


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return _finite(float(value.strip().split(",")[0].split(";")[0]))
    except ValueError:
        return None


def read_limits(headers: Mapping[str, str], now: float) -> LearnedLimits | None:
    """Limits announced by a response, or None when it announces none."""
    h = {k.lower(): v for k, v in headers.items()}
    found = _openai(h, now) or _anthropic(h, now) or _ietf(h, now) or _legacy(h, now)
    return found


def _openai(h: Mapping[str, str], now: float) -> LearnedLimits | None:
    if "x-ratelimit-limit-requests" not in h and "x-ratelimit-limit-tokens" not in h:
        return None

    def reset(name: str) -> float | None:
        seconds = parse_duration(h[name]) if name in h else None
        return now + seconds if seconds is not None else None

    return LearnedLimits(
        now,
        _number(h.get("x-ratelimit-limit-requests")),
        _number(h.get("x-ratelimit-remaining-requests")),
        reset("x-ratelimit-reset-requests"),
        _number(h.get("x-ratelimit-limit-tokens")),
        _number(h.get("x-ratelimit-remaining-tokens")),
        reset("x-ratelimit-reset-tokens"),
    )


def _anthropic(h: Mapping[str, str], now: float) -> LearnedLimits | None:
    prefix = "anthropic-ratelimit-"
    if not any(k.startswith(prefix) for k in h):
        return None

    def get(kind: str, field: str) -> str | None:
        return h.get(f"{prefix}{kind}-{field}")

    tokens_kind = "tokens" if get("tokens", "limit") else "input-tokens"
    reset_r, reset_t = get("requests", "reset"), get(tokens_kind, "reset")
    return LearnedLimits(
        now,
        _number(get("requests", "limit")),
        _number(get("requests", "remaining")),
        _rfc3339(reset_r) if reset_r else None,
        _number(get(tokens_kind, "limit")),
        _number(get(tokens_kind, "remaining")),
        _rfc3339(reset_t) if reset_t else None,
    )


_POLICY_ITEM = re.compile(
    r"(?:^|[,\s])(?:\"?[\w-]*\"?;)?q=(\d+)(?:;w=(\d+))?|(?:^|,)\s*(\d+)\s*;\s*w=(\d+)"
)


def _ietf(h: Mapping[str, str], now: float) -> LearnedLimits | None:
    policy = h.get("ratelimit-policy")
    field = h.get("ratelimit")
    if not policy and not field:
        return None
    limit = window = None
    if policy:
        match = _POLICY_ITEM.search(policy)
        if match:
            limit = float(match.group(1) or match.group(3))
            window = float(match.group(2) or match.group(4) or 60)
    remaining = reset = None
    if field:
        params = dict(re.findall(r"(limit|remaining|reset|r|t)=(\d+)", field))
        remaining = _number(params.get("remaining") or params.get("r"))
        reset = _number(params.get("reset") or params.get("t"))
        if limit is None and params.get("limit"):
            limit, window = float(params["limit"]), window or 60.0
    per_minute = limit * 60.0 / window if limit and window else None
    return LearnedLimits(now, per_minute, remaining, now + reset if reset is not None else None)


def _legacy(h: Mapping[str, str], now: float) -> LearnedLimits | None:
    if "ratelimit-limit" not in h and "x-ratelimit-limit" not in h:
        return None
    limit = _number(h.get("ratelimit-limit") or h.get("x-ratelimit-limit"))
    remaining = _number(h.get("ratelimit-remaining") or h.get("x-ratelimit-remaining"))
    reset = _number(h.get("ratelimit-reset") or h.get("x-ratelimit-reset"))
    # Draft resets are delta seconds; some servers send an epoch time instead.
    reset_at = None if reset is None else (reset if reset > 1e9 else now + reset)
    return LearnedLimits(now, limit, remaining, reset_at)
