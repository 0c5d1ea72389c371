"""Migrations go up and down on an empty database."""

from __future__ import annotations

from sqlalchemy import text

from ragbot.storage import db
from tests.support import fresh_database


def test_migrations_down_and_up_on_empty_database(pg_url: str) -> None:
    fresh = fresh_database(pg_url, "migtest")
    assert db.current_revision(fresh) is None
    db.ensure_schema(fresh)
    assert db.current_revision(fresh) == db.head_revision()
    with fresh.connect() as conn:
        assert conn.execute(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")).scalar()
    db.downgrade(fresh, "base")
    with fresh.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('chunks')")).scalar() is None
    db.upgrade(fresh)
    with fresh.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('chunks')")).scalar() == "chunks"
    fresh.dispose()


def test_unreachable_database_names_the_url() -> None:
    from ragbot.errors import DatabaseUnavailable

    eng = db.make_engine("postgresql://ragbot:secret@127.0.0.1:1/nope")
    try:
        db.check_connection(eng)
    except DatabaseUnavailable as exc:
        message = str(exc)
        assert "127.0.0.1:1" in message and "secret" not in message and "DATABASE_URL" in message
    else:
        raise AssertionError("expected DatabaseUnavailable")


def test_upgrade_from_0003_keeps_documents_and_fills_their_provenance(pg_url: str) -> None:
    old = fresh_database(pg_url, "migtest0003")
    db.upgrade(old, "0003")
    with old.begin() as conn:
        conn.execute(text("INSERT INTO spaces (id, platform) VALUES ('slack:T1', 'slack')"))
        conn.execute(text(
            "INSERT INTO documents (space_id, title, source_kind, source_uri, uploader, updated_at) VALUES"
            " ('slack:T1', 'a', 'upload', 'a.md', 'slack:U1', '2025-01-02'),"
            " ('slack:T1', 'b', 'url', 'https://x.org/b', NULL, '2025-03-04'),"
            " ('slack:T1', 'c', 'file', '/docs/c.md', NULL, '2025-05-06')"))
    db.upgrade(old)
    assert db.current_revision(old) == db.head_revision()
    with old.connect() as conn:
        rows = conn.execute(text(
            "SELECT source_uri, uploader, uploader_name, added_via, added_at::date::text AS day FROM documents"
            " ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [
        ("a.md", "slack:U1", None, "slash", "2025-01-02"),
        ("https://x.org/b", None, None, "url", "2025-03-04"),
        ("/docs/c.md", None, None, "cli", "2025-05-06"),
    ]
    db.downgrade(old, "0003")
    with old.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM documents")).scalar() == 3
    old.dispose()


def test_upgrade_from_0008_dates_indexed_documents_by_their_last_update_and_adds_the_audit_log(pg_url: str) -> None:
    old = fresh_database(pg_url, "migtest0008")
    db.upgrade(old, "0008")
    with old.begin() as conn:
        conn.execute(text("INSERT INTO spaces (id, platform) VALUES ('slack:T1', 'slack')"))
        conn.execute(text(
            "INSERT INTO documents (space_id, title, source_kind, source_uri, status, indexed_hash, updated_at)"
            " VALUES ('slack:T1', 'a', 'upload', 'a.md', 'ready', 'h1', '2024-01-02'),"
            " ('slack:T1', 'b', 'upload', 'b.md', 'failed', NULL, '2025-03-04')"))
    db.upgrade(old, "0009")
    with old.connect() as conn:
        rows = conn.execute(text("SELECT content_changed_at::date::text, dated_hash FROM documents ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("2024-01-02", "h1"), (None, None)]
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 0
    db.downgrade(old, "0008")
    with old.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('audit_log')")).scalar() is None
        assert conn.execute(text("SELECT count(*) FROM documents")).scalar() == 2
    old.dispose()
