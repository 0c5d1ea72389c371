"""Replacing a document from Slack: a member may not overwrite an admin's file; the admin's copy stays cited."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text

ADMIN_COPY = b"# Leave\n\nEmployees get twenty-seven vacation days per year."
MEMBER_COPY = b"# Leave\n\nEmployees get zero vacation days per year."


def _upload(h: Any, user: str, file_id: str, data: bytes, *, channel: str = "C1") -> None:
    """Upload handbook.md through the /ragbot-upload modal as `user`, scoped to the whole workspace."""
    h.fake.add_file(file_id, "handbook.md", data, "text/markdown")
    h.interaction({"type": "view_submission", "user": {"id": user, "team_id": "T1"}, "view": {
        "id": "V1", "type": "modal", "callback_id": "ragbot_upload",
        "private_metadata": f'{{"channel": "{channel}"}}',
        "state": {"values": {
            "files": {"files": {"type": "file_input", "files": [{"id": file_id, "name": "handbook.md"}]}},
            "url": {"url": {"type": "url_text_input", "value": None}},
            "scope": {"scope": {"type": "radio_buttons", "selected_option": {"value": "workspace"}}},
        }},
    }})


def _texts(h: Any, channel: str) -> list[str]:
    return [m.get("text") or "" for m in h.fake.messages.get(channel, [])]


def test_a_member_replacing_an_admins_file_is_refused_and_the_admins_file_is_still_cited(make_slack) -> None:
    h = make_slack()
    h.fake.add_user("UADMIN", is_admin=True, profile={"display_name": "Ada"})
    h.fake.add_user("UMAX", profile={"display_name": "Max"})
    _upload(h, "UADMIN", "F1", ADMIN_COPY)
    h.fake.wait_for(lambda: any("ready" in t for t in _texts(h, "C1")))

    _upload(h, "UMAX", "F2", MEMBER_COPY)
    refusal = h.fake.wait_for(lambda: [t for t in _texts(h, "C1") if "already in the knowledge base" in t])[0]
    assert "Ada (slack:UADMIN)" in refusal and "ask an admin" in refusal and "another name" in refusal

    with h.services.engine.connect() as conn:
        doc = conn.execute(text("SELECT uploader, uploader_name, added_via, version FROM documents")).one()
    assert tuple(doc) == ("slack:UADMIN", "Ada", "slash", 1)
    ts = h.mention("How many vacation days do employees get?")
    answer = " ".join(m.get("text") or "" for m in h.final_answer("C1", ts))
    assert "twenty-seven" in answer and "zero" not in answer


def test_the_uploader_may_replace_their_own_file_and_a_dm_upload_is_recorded_as_such(make_slack) -> None:
    h = make_slack()
    h.fake.add_user("UMAX", profile={"display_name": "Max"})
    _upload(h, "UMAX", "F1", MEMBER_COPY, channel="D1")
    h.fake.wait_for(lambda: any("ready" in t for t in _texts(h, "D1")))
    _upload(h, "UMAX", "F2", ADMIN_COPY, channel="D1")
    with h.services.engine.connect() as conn:
        h.fake.wait_for(lambda: conn.execute(text("SELECT version FROM documents")).scalar() == 2)
        doc = conn.execute(text("SELECT uploader, uploader_name, added_via FROM documents")).one()
    assert tuple(doc) == ("slack:UMAX", "Max", "dm")


def test_docs_listing_says_who_added_each_document_and_when(make_slack) -> None:
    h = make_slack()
    h.fake.add_user("UADMIN", is_admin=True, profile={"display_name": "Ada"})
    _upload(h, "UADMIN", "F1", ADMIN_COPY)
    h.fake.wait_for(lambda: any("ready" in t for t in _texts(h, "C1")))
    h.ingest("cli.md", "# CLI\n\nAdded from the terminal.")
    h.command("/ragbot-admin", "docs", user="UADMIN")
    listing = str(h.fake.wait_for(lambda: h.responses())[0]["blocks"])
    assert f"added by Ada, {date.today():%Y-%m-%d} (slash)" in listing
    assert "added by an admin" in listing  # the CLI's document records no one
