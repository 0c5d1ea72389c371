"""Watched channels: where shared files are ingested without being asked, and the documents of shared files."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from ragbot.storage.repository import ensure_space


def add_watch(conn: Connection, *, space: str, channel: str, workspace_wide: bool, added_by: str | None) -> Any:
    """Watch a channel (again: the scope and who asked are updated); returns the row."""
    ensure_space(conn, space_id=space)
    return conn.execute(
        text(
            "INSERT INTO watched_channels (space_id, channel, workspace_wide, added_by) VALUES (:s, :c, :w, :by)"
            " ON CONFLICT (space_id, channel) DO UPDATE SET workspace_wide = EXCLUDED.workspace_wide,"
            " added_by = EXCLUDED.added_by, added_at = now()"
            " RETURNING space_id, channel, workspace_wide, added_by, added_at"
        ),
        {"s": space, "c": channel, "w": workspace_wide, "by": added_by},
    ).one()


def remove_watch(conn: Connection, *, space: str, channel: str) -> bool:
    """Stop watching a channel; False when it was not watched."""
    result = conn.execute(
        text("DELETE FROM watched_channels WHERE space_id = :s AND channel = :c"), {"s": space, "c": channel}
    )
    return bool(result.rowcount)


def get_watch(conn: Connection, *, space: str, channel: str) -> Any | None:
    """The watch of one channel, or None."""
    return conn.execute(
        text(
            "SELECT space_id, channel, workspace_wide, added_by, added_at FROM watched_channels"
            " WHERE space_id = :s AND channel = :c"
        ),
        {"s": space, "c": channel},
    ).first()


def list_watches(conn: Connection, *, space: str) -> list[Any]:
    """Every watched channel of a space, oldest first."""
    return list(conn.execute(
        text(
            "SELECT space_id, channel, workspace_wide, added_by, added_at FROM watched_channels"
            " WHERE space_id = :s ORDER BY added_at, channel"
        ),
        {"s": space},
    ))


def documents_of_file(conn: Connection, *, space: str, file_id: str) -> list[int]:
    """Ids of the documents made from one shared platform file (its id is kept in the document's chat_ref)."""
    return list(conn.execute(
        text("SELECT id FROM documents WHERE space_id = :s AND chat_ref->>'file_id' = :f ORDER BY id"),
        {"s": space, "f": file_id},
    ).scalars())


def documents_of_message(conn: Connection, *, space: str, message_id: str) -> list[int]:
    """Ids of the documents made from the files of one shared chat message (Discord deletes messages, not files)."""
    return list(conn.execute(
        text(
            "SELECT id FROM documents WHERE space_id = :s AND chat_ref->>'file_id' IS NOT NULL"
            " AND chat_ref->>'message_id' = :m ORDER BY id"
        ),
        {"s": space, "m": message_id},
    ).scalars())


def ready_shared_copy(conn: Connection, *, space: str, channel: str | None, content_hash: str) -> int | None:
    """A shared file's document in this scope already indexed from exactly these bytes, if any."""
    return conn.execute(
        text(
            "SELECT id FROM documents WHERE space_id = :s AND coalesce(channel, '') = coalesce(:c, '')"
            " AND chat_ref->>'file_id' IS NOT NULL AND indexed_hash = :h AND status = 'ready' ORDER BY id LIMIT 1"
        ),
        {"s": space, "c": channel, "h": content_hash},
    ).scalar()
