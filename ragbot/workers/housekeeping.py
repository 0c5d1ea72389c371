"""Upkeep the Postgres fallback broker needs: kombu's SQLAlchemy transport never deletes delivered messages."""

from __future__ import annotations

from sqlalchemy import Engine, text

MESSAGE_TABLE = "kombu_message"


def purge_delivered_messages(engine: Engine, *, older_than_seconds: int = 3600) -> int:
    """Delete delivered broker rows; kombu keeps unacked payloads in memory, so the rows are dead weight."""
    with engine.begin() as conn:
        if not conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": MESSAGE_TABLE}).scalar():
            return 0
        # kombu stamps "timestamp" with the client's naive local time at delivery; compare likewise.
        result = conn.execute(
            text(
                f"DELETE FROM {MESSAGE_TABLE} WHERE visible = false"
                " AND timestamp < localtimestamp - make_interval(secs => :s)"
            ),
            {"s": older_than_seconds},
        )
        return result.rowcount
