"""Citations open their source and say when it is old: links and content ages from the documents table."""

from __future__ import annotations

import json

from sqlalchemy import text

from ragbot.domain import Scope
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.rag import age_note
from ragbot.wiring import build
from tests.fakes.providers import FakeChatModel

PERMALINK = "https://acme.slack.com/files/U1/F123/leave.md"


def _add(svc, name: str, body: str, link: str | None = None) -> int:  # type: ignore[no-untyped-def]
    acc = intake.add_file(svc.engine, scope=Scope("local"), data=body.encode(), filename=name, source_uri=name,
                          max_bytes=10**6, link=link)
    assert ingest_document(svc.ingest, acc.document_id).status == "ready"
    return acc.document_id


def test_an_uploaded_file_is_cited_with_its_chat_link_and_old_content_says_how_old(svc) -> None:
    leave = _add(svc, "leave.md", "# Leave\n\nEveryone gets twenty-seven vacation days a year.", link=PERMALINK)
    _add(svc, "expenses.md", "# Expenses\n\nVacation days are not expenses; receipts within thirty days.")
    with svc.engine.begin() as conn:
        conn.execute(text("UPDATE documents SET content_changed_at = now() - interval '430 days' WHERE id = :id"),
                     {"id": leave})
    answer = svc.rag.answer("everyone gets how many vacation days a year", scope=Scope("local"))
    cited = {c.source: c for c in answer.citations}
    assert cited["leave.md"].url == PERMALINK
    assert cited["leave.md"].aged == "last updated 14 months ago"
    assert all(c.aged is None and c.url is None for c in answer.citations if c.source != "leave.md")
    as_json = json.loads(json.dumps(answer.to_json()))
    leave_json = next(c for c in as_json["citations"] if c["source"] == "leave.md")
    assert leave_json["link"] == PERMALINK and leave_json["aged"] == "last updated 14 months ago"


def test_uploading_again_moves_the_link_and_stale_days_zero_never_says_old(svc, settings) -> None:
    doc = _add(svc, "leave.md", "# Leave\n\nTwenty-seven vacation days.", link=PERMALINK)
    again = intake.add_file(svc.engine, scope=Scope("local"), data=b"# Leave\n\nTwenty-seven vacation days.",
                            filename="leave.md", source_uri="leave.md", max_bytes=10**6, link=PERMALINK + "?v=2")
    assert not again.changed  # the same content: nothing to index, yet the new link is kept
    with svc.engine.begin() as conn:
        row = conn.execute(text("SELECT link FROM documents WHERE id = :id"), {"id": doc}).one()
        conn.execute(text("UPDATE documents SET content_changed_at = now() - interval '3000 days'"))
    assert row.link == PERMALINK + "?v=2"
    quiet = build(settings.model_copy(update={"stale_days": 0}), embedder=svc.embedder, chat=FakeChatModel())
    answer = quiet.rag.answer("vacation days", scope=Scope("local"))
    assert answer.citations and all(c.aged is None for c in answer.citations)
    quiet.engine.dispose()


def test_age_notes_switch_to_years_after_two() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 12, 6, tzinfo=UTC)
    assert age_note(now - timedelta(days=364), now, 365) is None
    assert age_note(now - timedelta(days=365), now, 365) == "last updated 12 months ago"
    assert age_note(now - timedelta(days=800), now, 365) == "last updated 2 years ago"
    assert age_note(None, now, 365) is None
