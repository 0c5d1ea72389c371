"""`ragbot db upgrade|status|index-spaces|stop`."""

from __future__ import annotations

import typer

from ragbot.cli.app import console, db_app, settings
from ragbot.storage import db
from ragbot.storage.embedded import embedded_pid, stop_embedded


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

    s = settings()
    if not s.database_url:
        # Said before connecting: connecting starts the embedded server.
        pid = embedded_pid(s.data_dir)
        state = f"running (pid {pid})" if pid else "not running (this command starts it)"
        console.print(f"embedded server under {s.data_dir / 'pg'}: {state}", highlight=False)
    engine = db.make_engine(db.database_url(s))
    db.check_connection(engine)
    current, head = db.current_revision(engine), db.head_revision()
    console.print(f"database: {db.redact(engine.url.render_as_string(hide_password=False))}", highlight=False)
    advice = "" if current == head else "  -> run ragbot db upgrade"
    console.print(f"revision: {current or 'none'} (head {head}){advice}")
    if current:
        with engine.connect() as conn:
            meta = index_meta(conn)
        console.print(f"index: {meta[0]} ({meta[1]} dimensions)" if meta else "index: empty")


@db_app.command("index-spaces")
def index_spaces(
    min_chunks: int = typer.Option(10_000, "--min-chunks", min=1, help="Index spaces holding this many chunks."),
) -> None:
    """Give each large space its own HNSW index (built concurrently; see docs/scaling.md)."""
    from ragbot.storage.space_indexes import index_large_spaces

    engine = db.make_engine(db.database_url(settings()))
    db.check_connection(engine)
    done = index_large_spaces(engine, min_chunks=min_chunks)
    if not done:
        console.print(f"no space holds {min_chunks:,} chunks or more: the global index serves them all.")
    for space, count, built in done:
        console.print(f"{space}: {count:,} chunks, {'index built' if built else 'index already there'}",
                      highlight=False)


@db_app.command("stop")
def stop() -> None:
    """Stop the embedded PostgreSQL (it keeps running between commands so that they start fast)."""
    s = settings()
    if s.database_url:
        console.print("DATABASE_URL is set: Ragbot does not run that server, so there is nothing to stop.")
        return
    pid = embedded_pid(s.data_dir)
    if pid is None:
        console.print(f"the embedded server under {s.data_dir / 'pg'} is not running.", highlight=False)
        return
    stop_embedded(s.data_dir)
    console.print(f"stopped the embedded server under {s.data_dir / 'pg'} (pid {pid}).", highlight=False)
