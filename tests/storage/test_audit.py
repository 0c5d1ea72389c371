"""The audit trail and ownership moves, through the same admin functions the CLI and both adapters use."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ragbot.domain import Adder, Scope
from ragbot.errors import NotAllowed
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document

ADMIN = Adder("slack:UADMIN", "Ada", "slash", True)
MEMBER = Adder("slack:UMEM", "Mo", "slash", False)
OTHER = Adder("slack:UOTHER", "Olu", "slash", False)


def _upload(svc, by: Adder, body: bytes, name: str = "handbook.md") -> int:  # type: ignore[no-untyped-def]
    acc = intake.add_file(svc.engine, scope=Scope("slack:T1"), data=body, filename=name, source_uri=name,
                          max_bytes=10**6, by=by)
    ingest_document(svc.ingest, acc.document_id)
    return acc.document_id


def test_every_change_lands_in_the_trail_newest_first_and_refusals_change_nothing(svc) -> None:
    doc = _upload(svc, MEMBER, b"# Handbook\n\nTwenty-seven vacation days.")
    _upload(svc, MEMBER, b"# Handbook\n\nTwenty-eight vacation days.")
    with pytest.raises(NotAllowed):
        _upload(svc, OTHER, b"# Handbook\n\nZero vacation days.")
    svc.admin.reindex(ref=str(doc), space="slack:T1", background=True, by=ADMIN)
    svc.admin.forget(str(doc), space="slack:T1", by=ADMIN)

    trail = svc.admin.audit_trail(space="slack:T1")
    assert [(e.action, e.actor) for e in trail] == [
        ("deleted", "slack:UADMIN"), ("reindexed", "slack:UADMIN"), ("replaced", "slack:UMEM"),
        ("added", "slack:UMEM")]
    assert all(e.document_id == doc for e in trail)
    assert trail[-1].subject == "handbook.md" and trail[-1].detail == "via slash"
    assert svc.admin.audit_trail(space="discord:G1") == []


def test_an_unchanged_upload_is_not_an_event(svc) -> None:
    _upload(svc, MEMBER, b"# Handbook\n\nSame text.")
    _upload(svc, MEMBER, b"# Handbook\n\nSame text.")
    assert [e.action for e in svc.admin.audit_trail()] == ["added"]


def test_an_admin_gives_a_document_away_and_the_new_owner_may_replace_it(svc) -> None:
    doc = _upload(svc, MEMBER, b"# Handbook\n\nTwenty-seven vacation days.")
    with pytest.raises(NotAllowed, match="Mo \\(slack:UMEM\\)"):
        _upload(svc, OTHER, b"# Handbook\n\nOlu's version.")
    moved = svc.admin.give("handbook", to="slack:UOTHER", to_name="Olu", space="slack:T1", by=ADMIN)
    assert (moved.uploader, moved.uploader_name) == ("slack:UOTHER", "Olu")
    _upload(svc, OTHER, b"# Handbook\n\nOlu's version.")  # now allowed
    with pytest.raises(NotAllowed, match="Olu \\(slack:UOTHER\\)"):
        _upload(svc, MEMBER, b"# Handbook\n\nMo again.")
    give = svc.admin.audit_trail()[1]
    assert (give.action, give.actor, give.document_id) == ("owner", "slack:UADMIN", doc)
    assert give.detail == "from Mo (slack:UMEM) to Olu (slack:UOTHER)"


def test_content_age_moves_only_when_the_content_changes(svc) -> None:
    doc = _upload(svc, MEMBER, b"# Handbook\n\nTwenty-seven vacation days.")
    with svc.engine.begin() as conn:
        conn.execute(text("UPDATE documents SET content_changed_at = now() - interval '400 days' WHERE id = :id"),
                     {"id": doc})
    svc.admin.reindex(ref=str(doc), background=False)  # same content, indexed again
    with svc.engine.connect() as conn:
        age = conn.execute(text("SELECT now() - content_changed_at FROM documents WHERE id = :id"),
                           {"id": doc}).scalar_one()
    assert age.days >= 399
    _upload(svc, MEMBER, b"# Handbook\n\nThirty vacation days.")
    with svc.engine.connect() as conn:
        age = conn.execute(text("SELECT now() - content_changed_at FROM documents WHERE id = :id"),
                           {"id": doc}).scalar_one()
    assert age.days == 0
