"""Scale work (issue 23): migration 0007 on a database with data, and searches planned for their own space."""

from __future__ import annotations

from sqlalchemy import text

from ragbot.storage import db


def test_upgrade_from_0006_keeps_spaces_and_counts_their_changes(pg_url: str) -> None:
    admin = db.make_engine(pg_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("DROP DATABASE IF EXISTS migtest0006"))
        conn.execute(text("CREATE DATABASE migtest0006"))
    old = db.make_engine(pg_url.replace("/postgres?", "/migtest0006?"))
    try:
        db.upgrade(old, "0006")
        with old.begin() as conn:
            conn.execute(text("INSERT INTO spaces (id, platform) VALUES ('slack:T1', 'slack'),"
                              " ('discord:9', 'discord')"))
            conn.execute(text(
                "INSERT INTO documents (space_id, title, source_kind, source_uri, status, indexed_version) VALUES"
                " ('slack:T1', 'a', 'upload', 'a.md', 'ready', 1),"
                " ('discord:9', 'b', 'upload', 'b.md', 'queued', NULL)"))
        db.upgrade(old, "0007")
        with old.begin() as conn:
            assert conn.execute(text("SELECT id, write_seq FROM spaces ORDER BY id")).all() == [
                ("discord:9", 0), ("slack:T1", 0)]
            # b becomes ready (a new indexed version), a is deleted: one bump each, in its own space.
            conn.execute(text("UPDATE documents SET status = 'processing', progress = 40 WHERE source_uri = 'b.md'"))
            conn.execute(text("UPDATE documents SET status = 'ready', indexed_version = 1 WHERE source_uri = 'b.md'"))
            conn.execute(text("DELETE FROM documents WHERE source_uri = 'a.md'"))
            assert conn.execute(text("SELECT id, write_seq FROM spaces ORDER BY id")).all() == [
                ("discord:9", 1), ("slack:T1", 1)]
        db.downgrade(old, "0006")
        with old.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM documents")).scalar() == 1
            assert conn.execute(text(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'spaces'"
                " AND column_name = 'write_seq'")).scalar() == 0
    finally:
        old.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("DROP DATABASE IF EXISTS migtest0006"))
        admin.dispose()


def test_queries_are_planned_for_their_own_space_never_prepared(engine) -> None:  # type: ignore[no-untyped-def]
    # A prepared search may get one generic plan for every space (benchmarks/scale.py: p95 48 ms instead of 12 ms
    # on a 23k-chunk space). psycopg prepares a statement on its 5th run unless told not to.
    one = db.make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
    try:
        with one.connect() as conn:
            for space in ("slack:T1", "slack:T2") * 5:
                conn.execute(text("SELECT count(*) FROM chunks WHERE space_id = :s"), {"s": space})
            assert conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar() == 0
    finally:
        one.dispose()


def test_large_spaces_get_an_index_of_their_own_and_lose_it_with_the_model(svc) -> None:  # type: ignore[no-untyped-def]
    from ragbot.domain import Scope
    from ragbot.ingestion import intake
    from ragbot.ingestion.pipeline import ingest_document
    from ragbot.storage import space_indexes, vectors

    body = "\n\n".join(f"## Part {i}\n\nThe {i}th rule of the zebra handbook says to file form {i} on time."
                       " " * 300 for i in range(40))
    for scope, name in ((Scope("slack:Tbig"), "big.md"), (Scope("slack:Tsmall"), "small.md")):
        text_ = body if scope.space.endswith("big") else "# Small\n\nOne zebra rule only."
        accepted = intake.add_file(svc.engine, scope=scope, data=text_.encode(), filename=name, source_uri=name,
                                   max_bytes=10**6)
        assert ingest_document(svc.ingest, accepted.document_id).status == "ready"
    with svc.engine.connect() as conn:
        big = dict(space_indexes.large_spaces(conn, min_chunks=1))["slack:Tbig"]
    assert big >= 20

    assert space_indexes.index_large_spaces(svc.engine, min_chunks=20) == [("slack:Tbig", big, True)]
    assert space_indexes.index_large_spaces(svc.engine, min_chunks=20) == [("slack:Tbig", big, False)]
    with svc.engine.connect() as conn:
        (definition,) = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"),
                                     {"n": space_indexes.index_name("slack:Tbig")}).scalars().all()
    assert "hnsw" in definition and "WHERE (space_id = 'slack:Tbig'::text)" in definition
    found = svc.rag.retrieve("Which form does the 7th rule of the zebra handbook want?", scope=Scope("slack:Tbig"))
    assert found and found[0].source == "big.md"

    with svc.engine.begin() as conn:  # another model: the per-space graphs cast to the old dimension, so they go
        vectors.switch_model(conn, model="another-model", dim=16)
    with svc.engine.connect() as conn:
        assert space_indexes.existing(conn) == set()
