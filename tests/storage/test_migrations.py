"""Migrations go up and down on an empty database."""

from __future__ import annotations

from sqlalchemy import text

from ragbot.storage import db


def test_migrations_down_and_up_on_empty_database(pg_url: str) -> None:
    eng = db.make_engine(pg_url)
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("DROP DATABASE IF EXISTS migtest"))
        conn.execute(text("CREATE DATABASE migtest"))
    fresh = db.make_engine(pg_url.replace("/postgres?", "/migtest?"))
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
    eng.dispose()


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
