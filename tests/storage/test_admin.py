"""Index administration: model changes, reindexing URL sources, resolving references, and failing loudly."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy import text

from ragbot.domain import Scope
from ragbot.errors import IndexMismatch, NotFound
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.storage import repository as repo
from ragbot.wiring import build
from tests.fakes.providers import FakeChatModel, FakeEmbedder


def add(svc, name: str, body: str, *, space: str = "local") -> int:  # type: ignore[no-untyped-def]
    acc = intake.add_file(svc.engine, scope=Scope(space), data=body.encode(), filename=name,
                          source_uri=f"/docs/{name}", max_bytes=10**6)
    assert ingest_document(svc.ingest, acc.document_id).status == "ready"
    return acc.document_id


def chunk_count(svc) -> int:  # type: ignore[no-untyped-def]
    with svc.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM chunks")).scalar_one()


@pytest.fixture
def page_server() -> Iterator[str]:
    """A local web page to ingest by URL."""
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = b"<html><title>Runbook</title><body><p>Restart the pager with the blue button.</p></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/runbook.html"
    server.shutdown()


def test_reindex_all_after_a_dimension_change_rebuilds_every_document_including_urls(
    clean_db, settings, page_server
) -> None:
    settings.allow_private_urls = True
    old = build(settings, embedder=FakeEmbedder(dim=64), chat=FakeChatModel())
    add(old, "leave.md", "# Leave\n\nEveryone gets 25 vacation days.")
    url_doc = intake.add_url(old.engine, scope=Scope("local"), url=page_server).document_id
    assert ingest_document(old.ingest, url_doc).status == "ready"
    before = chunk_count(old)

    new = build(settings, embedder=FakeEmbedder(dim=32, model_id="other"), chat=FakeChatModel(), check_index=False)
    results = new.admin.reindex()
    assert sorted(r.status for r in results) == ["ready", "ready"]
    assert chunk_count(new) == before
    with new.engine.connect() as conn:
        dims = conn.execute(text("SELECT DISTINCT vector_dims(embedding) FROM chunks")).scalars().all()
        url_chunks = conn.execute(text("SELECT count(*) FROM chunks WHERE document_id = :d"), {"d": url_doc}).scalar()
    assert dims == [32] and url_chunks > 0
    assert new.rag.retrieve("blue button pager", scope=Scope("local"))[0].source == page_server


def test_reindex_of_one_space_refuses_a_model_change(svc, settings) -> None:
    add(svc, "a.md", "# A\n\nAlpha text.", space="slack:T1")
    other = build(settings, embedder=FakeEmbedder(dim=32, model_id="other"), chat=FakeChatModel(), check_index=False)
    with pytest.raises(IndexMismatch, match="without --space"):
        other.admin.reindex(space="slack:T1")
    assert chunk_count(svc) > 0


def test_references_match_whole_path_parts_and_ids_never_fall_through(svc) -> None:
    data = add(svc, "data.txt", "Numbers and figures.")
    leave = add(svc, "leave.md", "# Leave\n\nVacation days.")
    with svc.engine.connect() as conn:
        assert repo.resolve_document(conn, ref="a.txt") == []
        assert [d.id for d in repo.resolve_document(conn, ref="data.txt")] == [data]
        assert [d.id for d in repo.resolve_document(conn, ref="docs/leave.md")] == [leave]
    svc.admin.forget(str(data))
    with pytest.raises(NotFound, match="No document matches"):
        svc.admin.forget(str(data))
    assert svc.admin.find(str(leave)).id == leave


def test_one_resolver_for_every_surface_ignores_case_and_names_candidates_when_ambiguous(svc) -> None:
    obsolete = add(svc, "obsolete-policy.md", "# Obsolete\n\nThe old travel policy.")
    add(svc, "travel-2023.md", "# Travel\n\nTrains only.")
    add(svc, "travel-2024.md", "# Travel\n\nTrains and planes.")
    assert svc.admin.find("obsolete").id == obsolete  # autocomplete offers "Obsolete"; people type "obsolete"
    assert svc.admin.find("OBSOLETE-POLICY.MD").id == obsolete
    with pytest.raises(NotFound) as ambiguous:
        svc.admin.find("travel")
    message = str(ambiguous.value)
    assert "matches several documents" in message and "travel-2023.md" in message and "travel-2024.md" in message
    assert "Use the id" in message
    assert svc.admin.find("Obsolete").id == obsolete  # an exact title still wins over anything looser


class BrokenEmbedder(FakeEmbedder):
    """Fails in a way no one planned for."""

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        raise RuntimeError("boom")


def test_an_unexpected_error_fails_the_document_instead_of_leaving_it_processing(clean_db, settings) -> None:
    svc = build(settings, embedder=BrokenEmbedder(), chat=FakeChatModel())
    acc = intake.add_file(svc.engine, scope=Scope("local"), data=b"Some text here.", filename="x.txt",
                          source_uri="/docs/x.txt", max_bytes=10**6)
    result = ingest_document(svc.ingest, acc.document_id)
    assert result.status == "failed" and "worker log" in result.message
    with svc.engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM documents WHERE id = :d"), {"d": acc.document_id}).scalar() \
            == "failed"


class UploadsMeanwhile(FakeEmbedder):
    """While version 1 is being embedded, version 2 is uploaded; then version 1 fails for good."""

    def __init__(self, svc_ref: list) -> None:  # type: ignore[type-arg]
        super().__init__()
        self.svc_ref = svc_ref
        self.fired = False

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not self.fired:
            self.fired = True
            intake.add_file(self.svc_ref[0].engine, scope=Scope("local"), data=b"Version two text.", filename="v.txt",
                            source_uri="/docs/v.txt", max_bytes=10**6)
            from ragbot.errors import IngestError

            raise IngestError("v.txt: version one could not be read.")
        return super().embed_documents(texts)


def test_a_failing_old_version_does_not_mark_the_newer_upload_failed(clean_db, settings) -> None:
    ref: list = []  # type: ignore[type-arg]
    svc = build(settings, embedder=UploadsMeanwhile(ref), chat=FakeChatModel())
    ref.append(svc)
    acc = intake.add_file(svc.engine, scope=Scope("local"), data=b"Version one text.", filename="v.txt",
                          source_uri="/docs/v.txt", max_bytes=10**6)
    assert ingest_document(svc.ingest, acc.document_id).status == "failed"
    with svc.engine.connect() as conn:
        row = conn.execute(text("SELECT status, version, error FROM documents WHERE id = :d"),
                           {"d": acc.document_id}).one()
    assert (row.status, row.version, row.error) == ("queued", 2, None)
    assert ingest_document(svc.ingest, acc.document_id).status == "ready"
    assert "two" in svc.rag.retrieve("version two text", scope=Scope("local"))[0].text.lower()


def test_two_first_uploads_of_one_source_at_once_make_one_document(clean_db, settings) -> None:
    svc = build(settings, embedder=FakeEmbedder(), chat=FakeChatModel())

    def upload(conn, body: bytes) -> int:  # type: ignore[no-untyped-def]
        return repo.upsert_document(conn, space="local", channel=None, source_kind="file", source_uri="/docs/same.txt",
                                    title="same", content_hash=body.hex(), data=body)[0]

    with svc.engine.begin() as conn:
        repo.ensure_space(conn, space_id="local")  # so that the race is on the document row itself
    results: list[object] = []
    with svc.engine.connect() as first, svc.engine.connect() as second:
        first.begin()
        first_id = upload(first, b"one")  # inserted, not yet committed

        def late() -> None:
            try:
                with second.begin():
                    results.append(upload(second, b"two"))  # sees no row, then waits on the unique key
            except Exception as exc:  # noqa: BLE001
                results.append(exc)

        waiting = threading.Thread(target=late)
        waiting.start()
        waiting.join(1.0)
        assert waiting.is_alive(), "the second upload should wait for the first"
        first.commit()
        waiting.join(30)
    assert results == [first_id]
    with svc.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), max(version) FROM documents")).one()._tuple() == (1, 2)


class DownQueue:
    """A broker that cannot be reached."""

    def enqueue(self, task_name: str, **kwargs: object) -> None:
        from ragbot.errors import QueueUnavailable

        raise QueueUnavailable("broker down")


def test_retry_with_the_broker_down_says_the_document_waits_in_the_queue(clean_db, settings) -> None:
    svc = build(settings, embedder=FakeEmbedder(), chat=FakeChatModel(), queue=DownQueue())
    acc = intake.add_file(svc.engine, scope=Scope("local"), data=b"", filename="empty.txt",
                          source_uri="/docs/empty.txt", max_bytes=10**6)
    assert ingest_document(svc.ingest, acc.document_id).status == "failed"
    result = svc.admin.retry(str(acc.document_id))
    assert result.status == "queued" and "when the queue is back" in result.message
    with svc.engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM documents WHERE id = :d"), {"d": acc.document_id}).scalar() \
            == "queued"


def test_exceptions_the_caller_handles_pass_through_the_pipeline(clean_db, settings) -> None:
    svc = build(settings, embedder=BrokenEmbedder(), chat=FakeChatModel())
    svc.ingest.passthrough = (RuntimeError,)  # as a worker passes its time-limit exception
    acc = intake.add_file(svc.engine, scope=Scope("local"), data=b"Some text here.", filename="x.txt",
                          source_uri="/docs/x.txt", max_bytes=10**6)
    with pytest.raises(RuntimeError, match="boom"):
        ingest_document(svc.ingest, acc.document_id)
