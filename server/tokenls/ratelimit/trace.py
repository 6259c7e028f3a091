"""When a request really went out: the moment a tracker's spacing and budgets count from."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from tokenls.ratelimit import RateTracker
from tokenls.ratelimit.store_disk import StoreBusy


def sent_trace(
    tracker: RateTracker, key: str, ticket: int | None
) -> Callable[[str, Any], Awaitable[None]]:
    """An httpcore trace hook telling the tracker when the request headers went out (or,
    called with ``"done"``, that the exchange ended without that happening)."""
    marked = False

    async def trace(event: str, _info: Any) -> None:
        nonlocal marked
        if not marked and event.endswith(("send_request_headers.complete", "done")):
            marked = True
            with contextlib.suppress(StoreBusy):
                await asyncio.to_thread(tracker.mark_sent, key, ticket)

    return trace
