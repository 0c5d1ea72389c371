"""Dead sources are never cited: a URL that is gone, or keeps failing re-sync, turns stale until a re-sync works."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import text

from ragbot.domain import Scope
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.wiring import build
from tests.fakes.providers import FakeChatModel, FakeEmbedder

SCOPE = Scope("local")
QUESTION = "How do I page the on-call engineer?"
RUNBOOK = b"<html><body><h1>Paging</h1><p>Page the on-call engineer with the blue pager button.</p></body></html>"
WIKI = "# Paging\n\nThe on-call engineer is paged from the incident channel with /page."


class Page:
    """A web page whose HTTP status the test changes between re-syncs."""

    def __init__(self) -> None:
        self.status = 200


@pytest.fixture
def page() -> Iterator[tuple[Page, str]]:
    state = Page()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(state.status)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            if state.status == 200:
                self.wfile.write(RUNBOOK)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/runbook.html"
    server.shutdown()


@pytest.fixture
def svc(clean_db, settings) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    services = build(settings.model_copy(update={"allow_private_urls": True}), embedder=FakeEmbedder(),
                     chat=FakeChatModel())
    yield services
    services.engine.dispose()


def _setup(svc: Any, url: str) -> int:
    wiki = intake.add_file(svc.engine, scope=SCOPE, data=WIKI.encode(), filename="wiki.md", source_uri="wiki.md",
                           max_bytes=10**6)
    assert ingest_document(svc.ingest, wiki.document_id).status == "ready"
    doc_id = intake.add_url(svc.engine, scope=SCOPE, url=url).document_id
    assert ingest_document(svc.ingest, doc_id).status == "ready"
    return doc_id


def _sources(svc: Any) -> list[str]:
    return [c.source for c in svc.rag.answer(QUESTION, scope=SCOPE).citations]


def _doc(svc: Any, doc_id: int) -> Any:
    with svc.engine.connect() as conn:
        return conn.execute(text("SELECT status, stale, sync_failures, error FROM documents WHERE id = :i"),
                            {"i": doc_id}).one()


@pytest.mark.parametrize("gone", [404, 410])
def test_a_source_that_is_gone_is_no_longer_cited_and_top_k_fills_from_live_documents(svc, page, gone) -> None:
    state, url = page
    doc_id = _setup(svc, url)
    assert url in _sources(svc)

    state.status = gone
    assert svc.jobs.resync_url(doc_id).status == "failed"
    row = _doc(svc, doc_id)
    assert (row.status, row.stale, row.sync_failures) == ("failed", True, 1)
    assert "no longer cited" in row.error
    assert _sources(svc) == ["wiki.md"]  # the dead page is filtered in SQL; the live document still answers
    assert all(c.source != url for c in svc.rag.retrieve(QUESTION, scope=SCOPE, k=5))

    state.status = 200  # back: the next re-sync (failed sources are re-synced too) clears the flag
    assert doc_id in replace(svc.jobs, queue=_Recording()).resync_urls()
    assert svc.jobs.resync_url(doc_id).status == "ready"
    assert (_doc(svc, doc_id).stale, _doc(svc, doc_id).sync_failures) == (False, 0)
    assert url in _sources(svc)


def test_a_source_failing_three_times_in_a_row_turns_stale(svc, page) -> None:
    state, url = page
    doc_id = _setup(svc, url)
    state.status = 403
    for attempt in (1, 2):
        svc.jobs.resync_url(doc_id)
        assert (_doc(svc, doc_id).stale, _doc(svc, doc_id).sync_failures) == (False, attempt)
        assert url in _sources(svc)  # a failure or two may be a blip: the last good copy is still cited
    svc.jobs.resync_url(doc_id)
    assert (_doc(svc, doc_id).stale, _doc(svc, doc_id).sync_failures) == (True, 3)
    assert url not in _sources(svc)


def test_a_success_between_failures_starts_the_count_over(svc, page) -> None:
    state, url = page
    doc_id = _setup(svc, url)
    for status in (403, 403, 200, 403, 403):
        state.status = status
        svc.jobs.resync_url(doc_id)
    assert (_doc(svc, doc_id).stale, _doc(svc, doc_id).sync_failures) == (False, 2)


class _Recording:
    """A queue that only records what resync_urls sends (no broker in this test)."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def enqueue(self, task: str, **kwargs: Any) -> None:
        self.sent.append(kwargs["document_id"])


def test_runs_that_exhaust_their_retries_count_as_failures_too(svc, page) -> None:
    _, url = page
    doc_id = _setup(svc, url)
    for _ in range(3):  # what the worker does when a 5xx outlasts every retry
        svc.jobs.give_up(doc_id, f"{url}: the server answered 503; gave up after 5 tries.")
    row = _doc(svc, doc_id)
    assert (row.status, row.stale, row.sync_failures) == ("failed", True, 3) and "no longer cited" in row.error
    assert url not in _sources(svc)
