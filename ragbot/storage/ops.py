"""Operational reads and upkeep: server and extension versions, document counts, the fallback broker's tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, text

MESSAGE_TABLE = "kombu_message"  # kombu's SQLAlchemy transport (the PostgreSQL fallback broker)


def server_version(conn: Connection) -> str:
    """PostgreSQL's version string."""
    return str(conn.execute(text("SHOW server_version")).scalar())


def pgvector_versions(conn: Connection) -> tuple[str | None, str | None]:
    """(installed, available) versions of the vector extension; None where there is none."""
    installed = conn.execute(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")).scalar()
    available = conn.execute(text("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")).scalar()
    return installed, available


def document_counts(conn: Connection) -> dict[str, int]:
    """Documents by status, across every space."""
    return {r[0]: int(r[1]) for r in conn.execute(text("SELECT status, count(*) FROM documents GROUP BY status"))}


def document_chat_ref(conn: Connection, *, document_id: int) -> Any | None:
    """(title, label, chat_ref) of a document, for editing its status message in chat.

    label is what the person submitted (the file name, or the URL): it names the status message from first to last,
    while the title may change as the file is read (a Markdown H1, a page's <title>).
    """
    return conn.execute(text("SELECT title, coalesce(filename, source_uri) AS label, chat_ref FROM documents"
                             " WHERE id = :id"), {"id": document_id}).first()


def document_owner(conn: Connection, *, document_id: int) -> Any | None:
    """(uploader, title, source_uri) of a document, to tell its owner about it."""
    return conn.execute(text("SELECT uploader, title, source_uri FROM documents WHERE id = :id"),
                        {"id": document_id}).first()


def unanswered_questions(conn: Connection, *, space: str, limit: int) -> list[dict[str, Any]]:
    """Recent questions in a space that got no grounded answer, newest first."""
    rows = conn.execute(
        text("SELECT question, channel, user_id, created_at FROM questions WHERE space_id = :s AND NOT grounded"
             " ORDER BY created_at DESC LIMIT :n"),
        {"s": space, "n": limit},
    )
    return [dict(r._mapping) for r in rows]


def recent_downvotes(conn: Connection, *, space: str, limit: int) -> list[dict[str, Any]]:
    """Recent 👎 in a space, newest first: the question, the answer, the comment and the cited titles."""
    rows = conn.execute(
        text("SELECT q.question, q.answer, q.citations, f.comment, f.user_id, f.created_at FROM feedback f"
             " JOIN questions q ON q.id = f.question_id WHERE q.space_id = :s AND f.vote = -1"
             " ORDER BY f.created_at DESC LIMIT :n"),
        {"s": space, "n": limit},
    )
    out = []
    for r in rows:
        row = dict(r._mapping)
        row["cited"] = [c.get("title") or c.get("source") for c in row.pop("citations") or []]
        out.append(row)
    return out


def fallback_queue_depth(conn: Connection, *, queue: str) -> int:
    """Messages waiting in the PostgreSQL fallback broker's queue (0 before kombu has created its tables)."""
    if not conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": MESSAGE_TABLE}).scalar():
        return 0
    return int(conn.execute(text(
        "SELECT count(*) FROM kombu_message m JOIN kombu_queue q ON q.id = m.queue_id "
        "WHERE q.name = :q AND m.visible"), {"q": queue}).scalar() or 0)


def purge_delivered_messages(engine: Engine, *, older_than_seconds: int = 3600) -> int:
    """Delete delivered fallback-broker rows; kombu keeps unacked payloads in memory, so the rows are dead weight."""
    with engine.begin() as conn:
        if not conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": MESSAGE_TABLE}).scalar():
            return 0
        # kombu stamps "timestamp" with the client's naive local time at delivery; compare likewise.
        result = conn.execute(
            text(f"DELETE FROM {MESSAGE_TABLE} WHERE visible = false"
                 " AND timestamp < localtimestamp - make_interval(secs => :s)"),
            {"s": older_than_seconds},
        )
        return result.rowcount
