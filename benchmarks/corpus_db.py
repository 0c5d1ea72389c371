"""One database per eval corpus inside one embedded PostgreSQL, so that word statistics are the corpus's own."""

from __future__ import annotations

from sqlalchemy import Engine, text

from ragbot.storage import db
from ragbot.storage.vectors import ensure_index


def corpus_engine(admin: Engine, url: str, name: str, *, model: str, dim: int) -> tuple[Engine, int]:
    """A migrated, indexed engine on database `name` (created if missing) and how many chunks it holds."""
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = db.make_engine(url.replace("/postgres?", f"/{name}?"))
    db.ensure_schema(engine)
    ensure_index(engine, model=model, dim=dim)
    with engine.connect() as conn:
        return engine, int(conn.execute(text("SELECT count(*) FROM chunks")).scalar() or 0)
