"""Keyword-only repository functions over a SQLAlchemy connection: documents, blobs and state."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, text

from ragbot.domain import DocStatus, DocumentInfo
from ragbot.errors import TransientError

_DOC_COLUMNS = (
    "d.id, d.space_id, d.channel, d.title, d.source_uri, d.status, d.error, d.chunk_count, d.version, d.progress,"
    " d.uploader, d.uploader_name, d.added_via, d.added_at, d.stale"
)


def _info(row: Any) -> DocumentInfo:
    return DocumentInfo(
        id=row.id, space=row.space_id, channel=row.channel, title=row.title, source=row.source_uri,
        status=row.status, error=row.error, chunks=row.chunk_count, version=row.version, progress=row.progress,
        uploader=row.uploader, uploader_name=row.uploader_name, added_via=row.added_via, added_at=row.added_at,
        stale=row.stale,
    )


def ensure_space(conn: Connection, *, space_id: str, platform: str | None = None, name: str | None = None) -> None:
    """Create the space row if it is new."""
    conn.execute(
        text("INSERT INTO spaces (id, platform, name) VALUES (:id, :p, :n) ON CONFLICT (id) DO NOTHING"),
        {"id": space_id, "p": platform or space_id.split(":", 1)[0], "n": name},
    )


def find_document(
    conn: Connection, *, space: str, channel: str | None, source_uri: str, lock: bool = False
) -> Any | None:
    """The document row for a source in a scope, or None; optionally locked against other replacements."""
    return conn.execute(
        text(
            "SELECT * FROM documents WHERE space_id = :s AND coalesce(channel, '') = coalesce(:c, '')"
            # NO KEY UPDATE: replacements queue behind each other, but not behind a worker whose chunk rows hold
            # a KEY SHARE lock on the document while it embeds (FOR UPDATE would wait for the whole ingestion).
            " AND source_uri = :u" + (" FOR NO KEY UPDATE" if lock else "")
        ),
        {"s": space, "c": channel, "u": source_uri},
    ).first()


_BLOB_SLICE = 8 * 1024 * 1024  # bytes per fetch when reading an upload back


def get_document_row(conn: Connection, *, document_id: int, lock: bool = False) -> Any | None:
    """The full document row, optionally locked FOR UPDATE."""
    sql = "SELECT * FROM documents WHERE id = :id" + (" FOR UPDATE" if lock else "")
    return conn.execute(text(sql), {"id": document_id}).first()


def upsert_document(
    conn: Connection,
    *,
    space: str,
    channel: str | None,
    source_kind: str,
    source_uri: str,
    title: str,
    filename: str | None = None,
    uploader: str | None = None,
    uploader_name: str | None = None,
    added_via: str = "cli",
    content_hash: str | None = None,
    data: bytes | None = None,
    chat_ref: dict[str, Any] | None = None,
    may_replace: Callable[[Any], None] | None = None,
) -> tuple[int, bool]:
    """Create or update a document as queued; returns (id, changed). Same content on a ready document: no change.

    `may_replace` sees the existing row (locked) before it is changed and raises to refuse the replacement.
    """
    ensure_space(conn, space_id=space)
    row = find_document(conn, space=space, channel=channel, source_uri=source_uri, lock=True)
    if row is not None and content_hash is not None and row.indexed_hash == content_hash and row.status == "ready":
        return row.id, False
    params = {
        "s": space, "c": channel, "k": source_kind, "u": source_uri, "t": title, "f": filename, "up": uploader,
        "upn": uploader_name, "via": added_via, "h": content_hash, "ref": json.dumps(chat_ref) if chat_ref else None,
    }
    doc_id = None
    if row is None:
        doc_id = conn.execute(
            text(
                "INSERT INTO documents (space_id, channel, source_kind, source_uri, title, filename, uploader,"
                " uploader_name, added_via, content_hash, chat_ref)"
                " VALUES (:s, :c, :k, :u, :t, :f, :up, :upn, :via, :h, CAST(:ref AS jsonb))"
                " ON CONFLICT DO NOTHING RETURNING id"
            ),
            params,
        ).scalar()
        # Two first uploads of one source at once: the loser replaces the winner's row, if it may.
        if doc_id is None:
            row = find_document(conn, space=space, channel=channel, source_uri=source_uri, lock=True)
    if row is not None:
        if may_replace is not None:
            may_replace(row)
        doc_id = row.id
        # The uploader columns say who vouches for the current content, so a replacement takes them over.
        conn.execute(
            text(
                "UPDATE documents SET title = :t, filename = :f, uploader = :up, uploader_name = :upn,"
                " added_via = :via, added_at = now(), content_hash = :h,"
                " chat_ref = coalesce(CAST(:ref AS jsonb), chat_ref), status = 'queued', error = NULL, progress = 0,"
                " version = version + 1, updated_at = now(), status_changed_at = now() WHERE id = :id"
            ),
            {**params, "id": doc_id},
        )
    if data is not None:
        conn.execute(
            text(
                "INSERT INTO document_blobs (document_id, content_hash, data) VALUES (:id, :h, :d)"
                " ON CONFLICT (document_id) DO UPDATE SET content_hash = EXCLUDED.content_hash, data = EXCLUDED.data"
            ),
            {"id": doc_id, "h": content_hash or "", "d": data},
        )
    assert doc_id is not None  # inserted above, or found after losing the insert race
    return doc_id, True


def read_blob(conn: Connection, *, document_id: int) -> bytes | None:
    """The stored original bytes of a document."""
    raw = conn.connection.driver_connection
    # Binary results, in slices: libpq keeps a connection's largest message in its input buffer for good and
    # text format doubles it as hex, so fetching a 20 MB upload whole left 60 MB in the worker.
    with raw.cursor(binary=True) as cur:  # type: ignore[union-attr]
        for _ in range(3):
            cur.execute("SELECT octet_length(data), content_hash FROM document_blobs WHERE document_id = %s",
                        (document_id,))
            head = cur.fetchone()
            if head is None:
                return None
            parts = []
            for start in range(0, head[0], _BLOB_SLICE):
                cur.execute("SELECT substring(data FROM %s FOR %s), content_hash FROM document_blobs"
                            " WHERE document_id = %s", (start + 1, _BLOB_SLICE, document_id))
                part = cur.fetchone()
                if part is None or part[1] != head[1]:
                    break  # a new upload replaced the file between two slices: read the new one from the start
                parts.append(part[0])
            else:
                return b"".join(parts)
    raise TransientError("the file kept changing while it was being read; the worker will retry.")


def set_status(
    conn: Connection,
    *,
    document_id: int,
    status: DocStatus,
    progress: int | None = None,
    error: str | None = None,
    version: int | None = None,
) -> bool:
    """Move a document to a state; with a version, only while that version is current. False when nothing moved."""
    result = conn.execute(
        text(
            "UPDATE documents SET status_changed_at = CASE WHEN status = :st THEN status_changed_at ELSE now() END,"
            " status = :st, progress = coalesce(:p, progress), error = :e, updated_at = now()"
            " WHERE id = :id AND (CAST(:v AS int) IS NULL OR version = :v)"
        ),
        {"st": status.value, "p": progress, "e": error, "id": document_id, "v": version},
    )
    return result.rowcount == 1


def set_chat_ref(conn: Connection, *, document_id: int, chat_ref: dict[str, Any]) -> None:
    """Remember the chat message that shows this document's status."""
    conn.execute(
        text("UPDATE documents SET chat_ref = CAST(:r AS jsonb) WHERE id = :id"),
        {"r": json.dumps(chat_ref), "id": document_id},
    )


def mark_ready(conn: Connection, *, document_id: int, version: int, content_hash: str, title: str, chunks: int) -> bool:
    """Finish a version; False when a newer version arrived meanwhile (its own run will finish it)."""
    result = conn.execute(
        text(
            "UPDATE documents SET status = 'ready', progress = 100, error = NULL, indexed_version = version,"
            " indexed_hash = :h, content_hash = :h, title = :t, chunk_count = :n, updated_at = now(),"
            # Only new content counts as a change: a re-sync that finds the same page keeps the document's age.
            # (dated_hash, not indexed_hash: a reindex clears indexed_hash to force the run, yet changes nothing.)
            " content_changed_at = CASE WHEN dated_hash IS DISTINCT FROM :h OR content_changed_at IS NULL"
            " THEN now() ELSE content_changed_at END, dated_hash = :h,"
            " status_changed_at = now() WHERE id = :id AND version = :v"
        ),
        {"h": content_hash, "t": title, "n": chunks, "id": document_id, "v": version},
    )
    if result.rowcount == 1:
        clear_stale(conn, document_id=document_id)
    return result.rowcount == 1


def clear_stale(conn: Connection, *, document_id: int) -> None:
    """A successful run: the source is live again and its failure count starts over."""
    # The row is already locked by the caller's UPDATE; old.stale is the value before this statement.
    was = conn.execute(
        text(
            "UPDATE documents d SET stale = false, sync_failures = 0 FROM (SELECT id, stale FROM documents"
            " WHERE id = :id) old WHERE d.id = old.id AND (d.stale OR d.sync_failures > 0) RETURNING old.stale"
        ),
        {"id": document_id},
    ).first()
    if was is not None and was.stale:
        conn.execute(text("UPDATE chunks SET stale = false WHERE document_id = :id AND stale"), {"id": document_id})


def record_sync_failure(conn: Connection, *, document_id: int, gone: bool, threshold: int,
                        hide: bool = True) -> tuple[bool, bool]:
    """Count a failed fetch of a source; it turns stale when gone or after `threshold` failures in a row.

    Returns (stale now, stale since this failure). A stale source's chunks are flagged so that search skips them when
    hide is set (RAGBOT_STALE_POLICY=hide); each failure brings the flags in line with the policy of the day.
    """
    row = conn.execute(
        text(
            "UPDATE documents d SET sync_failures = d.sync_failures + 1,"
            " stale = d.stale OR :gone OR d.sync_failures + 1 >= :n"
            " FROM (SELECT id, stale FROM documents WHERE id = :id FOR UPDATE) old WHERE d.id = old.id"
            " RETURNING d.stale AS now, old.stale AS before"
        ),
        {"id": document_id, "gone": gone, "n": threshold},
    ).first()
    if row is None:
        return False, False
    if row.now:
        conn.execute(text("UPDATE chunks SET stale = :hide WHERE document_id = :id AND stale <> :hide"),
                     {"id": document_id, "hide": hide})
    return bool(row.now), bool(row.now and not row.before)


def list_documents(
    conn: Connection, *, space: str | None = None, statuses: Sequence[str] | None = None
) -> list[DocumentInfo]:
    """Documents, newest first, optionally for one space or some states."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if space is not None:
        clauses.append("d.space_id = :s")
        params["s"] = space
    if statuses:
        clauses.append("d.status = ANY(:st)")
        params["st"] = list(statuses)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = conn.execute(text(f"SELECT {_DOC_COLUMNS} FROM documents d{where} ORDER BY d.id"), params)
    return [_info(r) for r in rows]


def get_document(conn: Connection, *, document_id: int) -> DocumentInfo | None:
    """One document's listing."""
    row = conn.execute(text(f"SELECT {_DOC_COLUMNS} FROM documents d WHERE d.id = :id"), {"id": document_id}).first()
    return _info(row) if row else None


def resolve_document(conn: Connection, *, ref: str, space: str | None = None,
                     limit: int = 6) -> list[DocumentInfo]:
    """The documents ref names, best kind of match only: an id; else an exact source; else the title as typed; else
    the title in any case; else sources ending in /ref (e.g. handbook/leave.md), in any case. Several mean ambiguity.
    """
    if ref.isdigit():
        # An id never falls through to other matches: `forget 2` run twice must not delete another document.
        doc = get_document(conn, document_id=int(ref))
        return [doc] if doc and (space is None or doc.space == space) else []
    params: dict[str, Any] = {"r": ref, "suffix": "%/" + ref.lower().replace("%", r"\%").replace("_", r"\_"),
                              "limit": limit}
    space_sql = ""
    if space is not None:
        space_sql = " AND d.space_id = :s"
        params["s"] = space
    rows = conn.execute(
        text(
            f"SELECT * FROM (SELECT {_DOC_COLUMNS}, CASE WHEN d.source_uri = :r THEN 0 WHEN d.title = :r THEN 1"
            " WHEN lower(d.title) = lower(:r) THEN 2 WHEN lower(d.source_uri) = lower(:r)"
            " OR lower(d.source_uri) LIKE :suffix THEN 3 END AS tier"
            f" FROM documents d WHERE true{space_sql}) m WHERE tier IS NOT NULL ORDER BY tier, id LIMIT :limit"
        ),
        params,
    ).all()
    best = [row for row in rows if row.tier == rows[0].tier] if rows else []
    return [_info(row) for row in best]


def set_owner(conn: Connection, *, document_id: int, uploader: str, uploader_name: str | None) -> None:
    """Give a document to another user (who may then replace or delete it)."""
    conn.execute(text("UPDATE documents SET uploader = :u, uploader_name = :n WHERE id = :id"),
                 {"u": uploader, "n": uploader_name, "id": document_id})


def delete_document(conn: Connection, *, document_id: int) -> bool:
    """Remove a document with its chunks and bytes; False when it did not exist."""
    return conn.execute(text("DELETE FROM documents WHERE id = :id"), {"id": document_id}).rowcount == 1


def requeue(conn: Connection, *, document_id: int) -> None:
    """Mark a document for another run of its current content (reindex or retry)."""
    conn.execute(
        text(
            "UPDATE documents SET status = 'queued', progress = 0, error = NULL, indexed_version = NULL,"
            " indexed_hash = NULL, status_changed_at = now(), updated_at = now() WHERE id = :id"
        ),
        {"id": document_id},
    )


def claim_stuck_documents(conn: Connection, *, older_than_seconds: int) -> list[int]:
    """Atomically move documents stuck in queued/processing back to a fresh 'queued'; returns their ids.

    Resetting status_changed_at in the same statement means two reconcilers never both claim a document,
    and a claimed document is not re-sent again before another full threshold has passed.
    """
    rows = conn.execute(
        text(
            "UPDATE documents SET status = 'queued', progress = 0, status_changed_at = now(), updated_at = now()"
            " WHERE status IN ('queued', 'processing') AND status_changed_at < now() - make_interval(secs => :s)"
            " RETURNING id"
        ),
        {"s": older_than_seconds},
    )
    return sorted(r.id for r in rows)


def url_documents(conn: Connection, *, statuses: Sequence[str] = ("ready",)) -> list[int]:
    """Ids of URL sources in the given states."""
    rows = conn.execute(
        # Crawled pages are re-synced with their site, which also notices the ones that are gone.
        text("SELECT id FROM documents WHERE source_kind = 'url' AND site_id IS NULL AND status = ANY(:st)"
             " ORDER BY id"),
        {"st": list(statuses)},
    )
    return [r.id for r in rows]


def stats(conn: Connection, *, space: str | None = None) -> dict[str, Any]:
    """Counts for admins: documents by state, chunks, questions, the grounded ratio and 👍/👎 votes."""
    p = {"s": space}
    where = "WHERE space_id = :s" if space else ""
    counts = conn.execute(text(f"SELECT status, count(*) FROM documents {where} GROUP BY status"), p).all()
    by_state: dict[str, int] = {row[0]: row[1] for row in counts}
    chunks = conn.execute(text(f"SELECT count(*) FROM chunks {where}"), p).scalar_one()
    q = conn.execute(
        text(f"SELECT count(*), coalesce(avg(grounded::int), 0) FROM questions {where}"), p
    ).one()
    votes = conn.execute(
        text("SELECT count(*) FILTER (WHERE f.vote = 1), count(*) FILTER (WHERE f.vote = -1) FROM feedback f"
             " JOIN questions q ON q.id = f.question_id" + (" WHERE q.space_id = :s" if space else "")), p
    ).one()
    return {
        "documents": sum(by_state.values()),
        "by_status": by_state,
        "chunks": chunks,
        "questions": q[0],
        "grounded_ratio": round(float(q[1]), 3),
        "votes_up": votes[0],
        "votes_down": votes[1],
    }
