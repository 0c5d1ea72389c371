"""Repository functions for chat: asked questions, feedback votes and processed event ids."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text

from ragbot.domain import Answer


def claim_event(conn: Connection, *, event_id: str, platform: str) -> bool:
    """Record an event id; False when it was already handled (a redelivery)."""
    row = conn.execute(
        text("INSERT INTO processed_events (event_id, platform) VALUES (:e, :p) ON CONFLICT DO NOTHING RETURNING 1"),
        {"e": event_id, "p": platform},
    ).first()
    return row is not None


def record_question(
    conn: Connection,
    *,
    space: str,
    channel: str | None,
    platform: str,
    user_id: str | None,
    question: str,
    answer: Answer,
    latency_ms: int,
) -> int:
    """Store a question with its answer and citations; returns its id (used by feedback buttons)."""
    cites = [
        {"n": c.n, "title": c.title, "source": c.source, "location": c.location, "document_id": c.document_id}
        for c in answer.citations
    ]
    return conn.execute(
        text(
            "INSERT INTO questions (space_id, channel, platform, user_id, question, answer, citations, grounded,"
            " latency_ms) VALUES (:s, :c, :p, :u, :q, :a, CAST(:cit AS jsonb), :g, :l) RETURNING id"
        ),
        {"s": space, "c": channel, "p": platform, "u": user_id, "q": question, "a": answer.text,
         "cit": json.dumps(cites), "g": answer.grounded, "l": latency_ms},
    ).scalar_one()


def record_vote(
    conn: Connection, *, question_id: int, platform: str, user_id: str, vote: int, comment: str | None = None
) -> None:
    """Store or change a user's vote on an answer (a later comment is kept)."""
    conn.execute(
        text(
            "INSERT INTO feedback (question_id, platform, user_id, vote, comment) VALUES (:q, :p, :u, :v, :c)"
            " ON CONFLICT (question_id, user_id) DO UPDATE SET vote = EXCLUDED.vote,"
            " comment = coalesce(EXCLUDED.comment, feedback.comment), created_at = now()"
        ),
        {"q": question_id, "p": platform, "u": user_id, "v": vote, "c": comment},
    )


def get_question(conn: Connection, *, question_id: int) -> Any | None:
    """A stored question row."""
    return conn.execute(text("SELECT * FROM questions WHERE id = :id"), {"id": question_id}).first()


def cited_uploaders(conn: Connection, *, question_id: int) -> list[tuple[str, str]]:
    """(uploader, document title) of the documents an answer cited, for downvote notices."""
    rows = conn.execute(
        text(
            "SELECT DISTINCT d.uploader, d.title FROM questions q,"
            " jsonb_to_recordset(q.citations) AS c(document_id bigint)"
            " JOIN documents d ON d.id = c.document_id WHERE q.id = :id AND d.uploader IS NOT NULL"
        ),
        {"id": question_id},
    )
    return [(r.uploader, r.title) for r in rows]
