"""The editor's scheduler over a real session: references resolve on the worker thread,
publishing waits for the debounce, a newer change or a close cancels the older wait, and a
resolution that finished just before the wait is filed instead of spun on."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from tests.conftest import truth
from tokenls.lsp.scheduling import Scheduler
from tokenls.lsp.session import Change, Session

RULES = "Always answer in full sentences.\n"


def _open(tmp_path: Path, text: str = "Follow @rules.md always.\n") -> tuple[Session, str]:
    (tmp_path / "rules.md").write_text(RULES)
    (tmp_path / "tokenls.toml").write_text("debounce_ms = 50\n")
    session = Session()
    session.roots = [tmp_path]
    uri = (tmp_path / "CLAUDE.md").as_uri()
    session.open(uri, text, 1)
    return session, uri


def _run(scenario) -> None:  # type: ignore[no-untyped-def]
    """Run on a loop of its own in a thread, so a spin shows as a timeout, not a hang."""
    worker = threading.Thread(target=asyncio.run, args=(scenario(),), daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the scheduler never finished"


def test_references_resolve_on_the_worker_thread_and_the_analysis_counts_them(
    tmp_path: Path,
) -> None:
    session, uri = _open(tmp_path)
    scheduler = Scheduler(session, publish=lambda _uri: None, report_error=lambda exc: None)
    threads: list[str] = []
    job_run = session.resolution_job

    def watched(u: str):  # type: ignore[no-untyped-def]
        job = job_run(u)
        run = job.run

        def on_worker():  # type: ignore[no-untyped-def]
            threads.append(threading.current_thread().name)
            return run()

        job.run = on_worker  # type: ignore[method-assign]
        return job

    session.resolution_job = watched  # type: ignore[method-assign]

    async def scenario() -> None:
        await scheduler.analysed(uri)

    assert not session.analysed(uri)
    _run(scenario)
    assert threads and all(name.startswith("resolve") for name in threads)
    [ref] = session.analyse(uri).references
    assert ref.status == "ok" and ref.tokens == truth(RULES, "o200k_base")
    assert uri not in scheduler.resolving


def test_a_resolution_done_before_the_wait_is_filed_not_spun_on(tmp_path: Path) -> None:
    session, uri = _open(tmp_path)
    scheduler = Scheduler(session, publish=lambda _uri: None, report_error=lambda exc: None)

    async def scenario() -> None:
        job = session.resolution_job(uri)
        done = asyncio.get_running_loop().create_future()
        done.set_result(job.run())
        scheduler.resolving[uri] = done
        # Added to a future that is done already: the callback waits for the next turn.
        done.add_done_callback(lambda finished: scheduler.resolved(job, finished))
        await scheduler.analysed(uri)

    _run(scenario)
    assert session.analysed(uri) and uri not in scheduler.resolving
    assert session.analyse(uri).references[0].tokens == truth(RULES, "o200k_base")


def test_edits_within_the_debounce_publish_once_after_the_last(tmp_path: Path) -> None:
    session, uri = _open(tmp_path)
    published: list[tuple[str, int | None]] = []
    scheduler = Scheduler(
        session,
        publish=lambda u: published.append((u, session.version(u))),
        report_error=lambda exc: None,
    )

    async def scenario() -> None:
        scheduler.publish_soon(uri)
        for version in (2, 3, 4):
            session.change(uri, version, [Change("x", (0, 0), (0, 0))])
            scheduler.publish_soon(uri)
            await asyncio.sleep(0.01)  # well inside the 50 ms debounce
        assert published == []
        await asyncio.sleep(0.5)

    _run(scenario)
    assert published == [(uri, 4)]
    assert scheduler.pending == {}


def test_closing_cancels_the_waiting_publish(tmp_path: Path) -> None:
    session, uri = _open(tmp_path)
    published: list[str] = []
    scheduler = Scheduler(session, publish=published.append, report_error=lambda exc: None)

    async def scenario() -> None:
        scheduler.publish_soon(uri)
        scheduler.cancel(uri)
        session.close(uri)
        await asyncio.sleep(0.2)

    _run(scenario)
    assert published == [] and scheduler.pending == {}


def test_a_failed_analysis_is_reported_and_other_documents_still_publish(tmp_path: Path) -> None:
    session, uri = _open(tmp_path)
    other = (tmp_path / "other.md").as_uri()
    session.open(other, "plain words\n", 1)
    published: list[str] = []
    errors: list[Exception] = []
    scheduler = Scheduler(session, publish=published.append, report_error=errors.append)
    session.close(uri)  # its publish now finds no document

    async def scenario() -> None:
        scheduler.publish_soon(uri, 0)
        scheduler.publish_soon(other, 0)
        await asyncio.sleep(0.3)

    _run(scenario)
    assert published == [other]
    assert len(errors) == 1 and isinstance(errors[0], KeyError)


def test_cancelling_a_progress_token_stops_its_job(tmp_path: Path) -> None:
    session, _uri = _open(tmp_path)
    scheduler = Scheduler(session, publish=lambda _uri: None, report_error=lambda exc: None)
    stop = scheduler.cancellable("token-1")
    scheduler.cancel_job("token-2")  # an unknown token changes nothing
    assert not stop.is_set()
    scheduler.cancel_job("token-1")
    assert stop.is_set()
    scheduler.cancel_job("token-1")  # once only: the switch is forgotten
