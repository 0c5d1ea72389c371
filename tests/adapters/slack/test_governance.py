"""/ragbot-admin audit, owner DOC @user and docs failed, against the fake Slack API and the real database."""

from __future__ import annotations

import json

from sqlalchemy import text

from tests.adapters.slack.conftest import HANDBOOK
from tests.adapters.slack.test_admin import _button


def test_owner_moves_a_document_and_audit_names_who_did_what(make_slack) -> None:
    h = make_slack(run_queue=False)
    h.fake.add_user("UADMIN", is_admin=True, profile={"display_name": "Ada"})
    h.fake.add_user("UMO", profile={"display_name": "Mo"})
    doc = h.ingest("leave.md", HANDBOOK)

    h.command("/ragbot-admin", "owner leave.md <@UMO|mo>", user="UADMIN")
    moved = h.fake.wait_for(h.responses)[0]
    assert "now belongs to <@UMO>" in moved["text"] and moved["response_type"] == "ephemeral"
    with h.services.engine.connect() as conn:
        owner = conn.execute(text("SELECT uploader, uploader_name FROM documents WHERE id = :d"), {"d": doc}).one()
    assert tuple(owner) == ("slack:UMO", "mo")

    h.command("/ragbot-admin", f"delete {doc}", user="UADMIN")
    confirm = h.fake.wait_for(lambda: h.responses()[1:])[0]
    _button(h, confirm, "ragbot_admin_confirm", "UADMIN")
    h.fake.wait_for(lambda: "Deleted" in h.responses()[-1].get("text", ""))

    h.command("/ragbot-admin", "audit", user="UADMIN")
    trail = json.dumps(h.fake.wait_for(lambda: [r for r in h.responses() if r.get("text") == "Audit"])[0]["blocks"])
    assert trail.index("*deleted*") < trail.index("*owner*") < trail.index("*added*")  # newest first
    assert "<@UADMIN> *deleted* Leave policy" in trail
    assert "from an admin to mo (slack:UMO)" in trail


def test_owner_without_a_mention_explains_and_members_are_refused(make_slack) -> None:
    h = make_slack(run_queue=False)
    h.fake.add_user("UADMIN", is_admin=True)
    h.fake.add_user("UMO")
    h.ingest("leave.md", HANDBOOK)
    h.command("/ragbot-admin", "owner leave.md", user="UADMIN")
    assert "`/ragbot-admin owner DOC @user`" in h.fake.wait_for(h.responses)[0]["text"]
    h.command("/ragbot-admin", "audit", user="UMO")
    assert "for workspace admins" in h.fake.wait_for(lambda: h.responses()[1:])[0]["text"]


def test_docs_failed_lists_only_failed_documents_with_the_reason(make_slack) -> None:
    h = make_slack(run_queue=False)
    h.fake.add_user("UADMIN", is_admin=True)
    h.ingest("leave.md", HANDBOOK)
    with h.services.engine.begin() as conn:
        conn.execute(text("INSERT INTO documents (space_id, title, source_kind, source_uri, status, error)"
                          " SELECT space_id, 'broken', 'upload', 'broken.pdf', 'failed', 'not a PDF' FROM documents"))
    h.command("/ragbot-admin", "docs failed", user="UADMIN")
    body = json.dumps(h.fake.wait_for(h.responses)[0]["blocks"])
    assert "1 failed documents" in body and "broken" in body and "not a PDF" in body and "Leave policy" not in body


def test_docs_pages_past_slacks_block_limit(make_slack) -> None:
    h = make_slack(run_queue=False)
    h.fake.add_user("UADMIN", is_admin=True)
    for i in range(85):
        h.ingest(f"note-{i:03}.md", f"# Note {i:03}\n\nRoom {i} is on floor {i % 7}.")
    h.command("/ragbot-admin", "docs", user="UADMIN")
    first = json.dumps(h.fake.wait_for(h.responses)[0]["blocks"])
    assert "85 documents* (page 1 of 3; `/ragbot-admin docs page 2` for more)" in first
    assert "Note 000" in first and "Note 039" in first and "Note 040" not in first
    h.command("/ragbot-admin", "docs page 3", user="UADMIN")
    last = json.dumps(h.fake.wait_for(lambda: h.responses()[1:])[0]["blocks"])
    assert "(page 3 of 3)" in last and "Note 084" in last and "Note 079" not in last
