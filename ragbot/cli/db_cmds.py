"""`ragbot db upgrade|status`."""

from __future__ import annotations

from ragbot.cli.app import console, db_app, settings
from ragbot.storage import db


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply database migrations up to the newest."""
    engine = db.make_engine(db.database_url(settings()))
    db.check_connection(engine)
    db.upgrade(engine)
    console.print(f"database at revision {db.current_revision(engine)}")


@db_app.command("status")
def status() -> None:
    """Show the database URL, its migration revision and the index's embedding model."""
    from ragbot.storage.vectors import index_meta

    engine = db.make_engine(db.database_url(settings()))
    db.check_connection(engine)
    current, head = db.current_revision(engine), db.head_revision()
    console.print(f"database: {db.redact(engine.url.render_as_string(hide_password=False))}", highlight=False)
    advice = "" if current == head else "  -> run ragbot db upgrade"
    console.print(f"revision: {current or 'none'} (head {head}){advice}")
    if current:
        with engine.connect() as conn:
            meta = index_meta(conn)
        console.print(f"index: {meta[0]} ({meta[1]} dimensions)" if meta else "index: empty")
