"""SourceCatalog over PostgreSQL: one primary-key lookup for the handful of documents an answer cites."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Engine, text

from ragbot.domain import SourceFacts


class PgSourceCatalog:
    """Links and content ages of documents, read from the primary (they matter right after an upload)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def facts(self, document_ids: Sequence[int]) -> dict[int, SourceFacts]:
        """SourceFacts by document id."""
        if not document_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, link, content_changed_at, stale FROM documents WHERE id = ANY(:ids)"),
                                {"ids": list(document_ids)})
            return {r.id: SourceFacts(r.link, r.content_changed_at, r.stale) for r in rows}


def set_link(conn: Connection, *, document_id: int, link: str | None) -> None:
    """Record where a document opens (a Slack file permalink, a Discord message), when the source is no URL."""
    conn.execute(text("UPDATE documents SET link = :l WHERE id = :id"), {"l": link, "id": document_id})
