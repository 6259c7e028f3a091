"""Waiting for a document's references never spins: a resolution that finished just before
the wait is filed (its done-callback runs) before the analysis is asked for again."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import Any

from tokenls.lsp.server import TokenlsServer

URI = "file:///w/prompt.md"


class FiledOnce:
    """A session whose analysis is ready once a resolution has been filed."""

    def __init__(self) -> None:
        self.filed: list[Any] = []
        self.analysed_for: list[str] = []

    def analysed(self, uri: str) -> bool:
        return bool(self.filed)

    def finish_resolution(self, job: Any, refs: Any) -> None:
        self.filed.append(refs)

    def analyse(self, uri: str) -> None:
        self.analysed_for.append(uri)


def test_a_resolution_done_before_the_wait_is_filed_not_spun_on() -> None:
    server = TokenlsServer()
    session = FiledOnce()
    server.session = session  # type: ignore[assignment]
    outcome: list[str] = []

    async def scenario() -> None:
        done = asyncio.get_running_loop().create_future()
        done.set_result("references")
        server.resolving[URI] = done
        job = SimpleNamespace(uri=URI)
        # Added to a future that is done already: the callback waits for the next turn.
        done.add_done_callback(lambda finished: server._resolved(job, finished))
        await server.analysed(URI)
        outcome.append("ready")

    worker = threading.Thread(target=asyncio.run, args=(scenario(),), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "analysed() spun on a finished resolution"
    assert outcome == ["ready"]
    assert session.filed == ["references"] and session.analysed_for == [URI]
    assert URI not in server.resolving
