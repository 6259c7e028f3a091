"""Rate-tracker state in Redis, for a team sharing one API key across machines.

Each update is an optimistic transaction: ``WATCH`` the key, read and change the state,
then ``MULTI``/``EXEC`` the write; if another client wrote in between, Redis aborts the
``EXEC`` and the update runs again on the new state. The state expires an hour after its
last use, so idle keys do not accumulate.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

State = dict[str, Any]
_TTL_S = 3600


class RedisStore:
    def __init__(self, url: str, prefix: str = "tokenls:rate:") -> None:
        import redis  # imported here: only teams that configure Redis need the package

        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._watch_error = redis.WatchError
        self._prefix = prefix

    def update(self, key: str, change: Callable[[State], tuple[State, Any]]) -> Any:
        name = self._prefix + key
        with self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(name)
                    raw = pipe.get(name)
                    state = json.loads(raw) if raw else {}
                    new_state, result = change(state)
                    pipe.multi()
                    pipe.set(name, json.dumps(new_state), ex=_TTL_S)
                    pipe.execute()
                    return result
                except self._watch_error:
                    continue  # another process updated the key first: retry on its state

    def read(self, key: str) -> State:
        raw = self._redis.get(self._prefix + key)
        return json.loads(raw) if raw else {}

    def close(self) -> None:
        self._redis.close()
