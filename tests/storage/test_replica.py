"""Read replicas: retrieval reads a real streaming replica, and a document reported ready is citable at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from ragbot.config import Settings
from ragbot.domain import Scope
from ragbot.errors import DatabaseUnavailable
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.storage import db, repository
from ragbot.storage.replica import ReplicaChunkStore
from ragbot.wiring import build
from tests.fakes.providers import FakeChatModel, FakeEmbedder
from tests.storage.replication import pause_replay, resume_replay, streaming_replica

SCOPE = Scope("local")
HANDBOOK = "# Leave\n\nEmployees take leave by filing the purple form with their manager."
RUNBOOK = "# Paging\n\nThe on-call engineer is paged from the incident channel with the zebra button."


@pytest.fixture(scope="module")
def replica_url(engine, pg_url: str) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A hot standby of the session's database, streaming from it (the schema is migrated before the backup)."""
    with streaming_replica(pg_url) as url:
        yield url


@pytest.fixture
def svc(clean_db, settings: Settings, replica_url: str) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    services = build(settings.model_copy(update={"database_read_url": replica_url, "replica_wait_seconds": 3.0}),
                     embedder=FakeEmbedder(), chat=FakeChatModel())
    yield services
    services.engine.dispose()
    assert services.read_engine is not None
    services.read_engine.dispose()


def _add(svc: Any, body: str, name: str) -> int:
    accepted = intake.add_file(svc.engine, scope=SCOPE, data=body.encode(), filename=name, source_uri=name,
                               max_bytes=10**6)
    assert ingest_document(svc.ingest, accepted.document_id).status == "ready"
    return accepted.document_id


def _sources(svc: Any, question: str) -> list[str]:
    return [c.source for c in svc.rag.retrieve(question, scope=SCOPE, k=5)]


def _routed(svc: Any) -> dict[str, int]:
    store = svc.store
    assert isinstance(store, ReplicaChunkStore)
    return dict(store.router.routed)


def _on_replica(svc: Any, sql: str) -> Any:
    assert svc.read_engine is not None
    with svc.read_engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def test_retrieval_reads_the_replica_once_it_holds_the_space(svc) -> None:
    _add(svc, HANDBOOK, "handbook.md")
    assert _on_replica(svc, "SELECT pg_is_in_recovery()") is True
    # The replica streams the ingestion within the wait; the read then runs there, and finds the passage.
    assert _sources(svc, "How do I take leave?") == ["handbook.md"]
    assert _routed(svc) == {"replica": 1, "primary": 0}
    answer = svc.rag.answer("How do I take leave with the purple form?", scope=SCOPE)
    assert [c.source for c in answer.citations] == ["handbook.md"]
    assert _routed(svc)["primary"] == 0


def test_a_document_reported_ready_is_citable_at_once_while_the_replica_lags(svc, replica_url) -> None:
    _add(svc, HANDBOOK, "handbook.md")
    assert _sources(svc, "How do I take leave?") == ["handbook.md"]
    pause_replay(replica_url)
    try:
        _add(svc, RUNBOOK, "runbook.md")
        # The replica has not replayed the new document: the read goes to the primary, which has it.
        assert _on_replica(svc, "SELECT count(*) FROM documents WHERE source_uri = 'runbook.md'") == 0
        before = _routed(svc)
        assert _sources(svc, "How is the on-call engineer paged with the zebra button?")[0] == "runbook.md"
        assert _routed(svc)["primary"] == before["primary"] + 1
        # Other spaces are unaffected by the lag of this one: an unknown space reads the replica.
        svc.rag.retrieve("anything", scope=Scope("slack:T-other"), k=5)
        assert _routed(svc)["replica"] == before["replica"] + 1
    finally:
        resume_replay(replica_url)
    # Replay resumed: within the wait the replica catches up, and reads go back to it.
    assert _sources(svc, "How is the on-call engineer paged with the zebra button?")[0] == "runbook.md"
    assert _routed(svc)["replica"] == before["replica"] + 2


def test_a_deleted_document_is_not_cited_from_a_lagging_replica(svc, replica_url) -> None:
    doc_id = _add(svc, RUNBOOK, "runbook.md")
    assert _sources(svc, "How is the on-call engineer paged?") == ["runbook.md"]
    pause_replay(replica_url)
    try:
        with svc.engine.begin() as conn:
            assert repository.delete_document(conn, document_id=doc_id)
        assert _sources(svc, "How is the on-call engineer paged?") == []
    finally:
        resume_replay(replica_url)


def test_an_unreachable_replica_leaves_reads_on_the_primary(clean_db, settings: Settings) -> None:
    broken = "postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=1"
    services = build(settings.model_copy(update={"database_read_url": broken}), embedder=FakeEmbedder(),
                     chat=FakeChatModel())
    try:
        _add(services, HANDBOOK, "handbook.md")
        assert _sources(services, "How do I take leave?") == ["handbook.md"]
        assert _sources(services, "How do I take leave?") == ["handbook.md"]  # no second connect attempt: down
        assert _routed(services) == {"replica": 0, "primary": 2}
    finally:
        services.engine.dispose()


def test_only_changes_that_alter_search_bump_the_space_counter(svc) -> None:
    def seq() -> int:
        with svc.engine.connect() as conn:
            return int(conn.execute(text("SELECT write_seq FROM spaces WHERE id = 'local'")).scalar_one())

    doc_id = _add(svc, HANDBOOK, "handbook.md")
    after_ready = seq()
    assert after_ready >= 1
    with svc.engine.begin() as conn:  # progress and chat bookkeeping leave search unchanged
        conn.execute(text("UPDATE documents SET progress = 50, chat_ref = '{}' WHERE id = :i"), {"i": doc_id})
    assert seq() == after_ready
    with svc.engine.begin() as conn:
        conn.execute(text("UPDATE documents SET stale = true WHERE id = :i"), {"i": doc_id})
    assert seq() == after_ready + 1
    with svc.engine.begin() as conn:
        repository.delete_document(conn, document_id=doc_id)
    assert seq() == after_ready + 2


def test_a_read_url_without_a_primary_is_refused_with_what_to_do(tmp_path) -> None:
    lone = Settings(database_url=None, database_read_url="postgresql://reader@replica/ragbot", data_dir=tmp_path)
    with pytest.raises(DatabaseUnavailable, match="DATABASE_READ_URL is set but DATABASE_URL is not"):
        db.read_engine(lone)
