"""Uploading: /ragbot-upload opens a modal; on submit the file is downloaded with the bot token and indexed."""

from __future__ import annotations

import json
import time

from sqlalchemy import text

from tests.adapters.slack.conftest import HANDBOOK


def _submission(private_metadata: str, file_ids: list[str], scope: str = "channel") -> dict:
    files = [{"id": f, "name": f"{f}.md"} for f in file_ids]
    return {"type": "view_submission", "user": {"id": "U1", "team_id": "T1"}, "view": {
        "id": "V1", "type": "modal", "callback_id": "ragbot_upload", "private_metadata": private_metadata,
        "state": {"values": {
            "files": {"files": {"type": "file_input", "files": files}},
            "url": {"url": {"type": "url_text_input", "value": None}},
            "scope": {"scope": {"type": "radio_buttons", "selected_option": {"value": scope}}},
        }},
    }}


def _open_modal(h) -> dict:  # type: ignore[no-untyped-def]
    assert h.command("/ragbot-upload", channel="C1")[0] == 200
    view = h.fake.wait_for(lambda: h.fake.api_calls("views.open"))[0].body["view"]
    kinds = [b["element"]["type"] for b in view["blocks"] if b["type"] == "input"]
    assert kinds == ["file_input", "url_text_input", "checkboxes", "radio_buttons"]
    assert view["blocks"][0]["element"]["max_files"] > 1
    return view


def test_upload_modal_submit_downloads_with_bearer_token_and_ends_ready(make_slack) -> None:
    h = make_slack()
    view = _open_modal(h)
    h.fake.add_file("F1", "leave.md", HANDBOOK.encode(), "text/markdown")
    status, _ = h.interaction(_submission(view["private_metadata"], ["F1"]))
    assert status == 200

    download = h.fake.wait_for(lambda: [c for c in h.fake.calls if c.path.startswith("/files/F1")])[0]
    assert download.headers["authorization"] == f"Bearer {h.fake.token}"
    posted = h.fake.wait_for(lambda: h.fake.api_calls("chat.postMessage"))[0]
    assert posted.body["channel"] == "C1" and "leave.md" in posted.body["text"]
    status_msg = h.fake.messages["C1"][0]
    h.fake.wait_for(lambda: "ready" in (h.fake.messages["C1"][0]["text"] or ""))
    edits = [c.body["text"] for c in h.fake.api_calls("chat.update") if c.body["ts"] == status_msg["ts"]]
    assert any("queued" in e for e in edits) and "chunks" in edits[-1]
    # The status keeps the name the person uploaded from first edit to last; the title it got is named once ready.
    assert all("*leave.md*" in e for e in edits), edits
    assert "ready as “" in edits[-1]

    with h.services.engine.connect() as conn:
        doc = conn.execute(text("SELECT status, channel, uploader, chat_ref, link FROM documents")).one()
    assert (doc.status, doc.channel, doc.uploader) == ("ready", "C1", "slack:U1")
    assert doc.link == "https://test.slack.com/files/F1"  # files.info's permalink: citations open the file
    assert doc.chat_ref == {"platform": "slack", "channel": "C1", "ts": status_msg["ts"], "team": "T1"}
    assert h.queue.enqueued[0][0] == "ragbot.ingest_document"


def test_a_sign_in_page_instead_of_the_file_tells_the_user_about_files_read(make_slack) -> None:
    h = make_slack()
    view = _open_modal(h)
    h.fake.add_file("F2", "leave.md", HANDBOOK.encode(), "text/markdown")
    h.fake.token = "xoxb-someone-else"  # the fake now refuses our token, as Slack does without files:read
    h.interaction(_submission(view["private_metadata"], ["F2"], scope="workspace"))
    h.fake.wait_for(lambda: "files:read" in ((h.fake.messages.get("C1") or [{}])[0].get("text") or ""))
    with h.services.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM documents")).scalar() == 0


def test_submit_without_file_or_link_is_refused_in_the_modal(make_slack) -> None:
    h = make_slack()
    view = _open_modal(h)
    status, body = h.interaction(_submission(view["private_metadata"], []))
    assert status == 200 and json.loads(body)["response_action"] == "errors"


def test_an_upload_no_worker_picks_up_says_so_in_its_status(make_slack) -> None:
    h = make_slack(run_queue=False, worker_pickup_seconds=0.5)  # the queue records the task; no worker runs it
    view = _open_modal(h)
    h.fake.add_file("F1", "leave.md", HANDBOOK.encode(), "text/markdown")
    assert h.interaction(_submission(view["private_metadata"], ["F1"]))[0] == 200
    h.fake.wait_for(lambda: "no worker has picked it up" in (h.fake.messages.get("C1", [{}])[0].get("text") or ""))
    text_now = h.fake.messages["C1"][0]["text"]
    assert "*leave.md*: still queued" in text_now and "ragbot worker" in text_now
    with h.services.engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM documents")).scalar_one() == "queued"  # kept, not dropped


def test_an_upload_a_worker_took_never_says_waiting(make_slack) -> None:
    h = make_slack(worker_pickup_seconds=0)  # no timer from the upload itself; the check is run below
    view = _open_modal(h)
    h.fake.add_file("F1", "leave.md", HANDBOOK.encode(), "text/markdown")
    assert h.interaction(_submission(view["private_metadata"], ["F1"]))[0] == 200
    h.fake.wait_for(lambda: "ready" in (h.fake.messages.get("C1", [{}])[0].get("text") or ""))
    with h.services.engine.connect() as conn:
        doc_id = conn.execute(text("SELECT id FROM documents")).scalar_one()
    pickup = h.rt.chat.pickup
    pickup.after = 0.01
    pickup.watch(doc_id)  # the check a slow upload would get, run on a document a worker already finished
    time.sleep(0.5)
    assert "ready" in h.fake.messages["C1"][0]["text"]
    assert not any("still queued" in c.body["text"] for c in h.fake.api_calls("chat.update"))


def test_with_uploaders_admins_a_member_is_refused_before_the_form_and_a_group_member_may_upload(make_slack) -> None:
    h = make_slack(uploaders="admins", uploader_group="SWRITERS")
    h.fake.add_user("U1")  # a plain member
    h.fake.add_user("U2")
    h.fake.usergroups["SWRITERS"] = ["U2"]
    assert h.command("/ragbot-upload", channel="C1", user="U1")[0] == 200
    refusal = h.fake.wait_for(h.responses)[0]
    assert "only admins and members of <!subteam^SWRITERS> may add documents" in refusal["text"]
    assert refusal["response_type"] == "ephemeral" and not h.fake.api_calls("views.open")
    # A forged submission (the form opened earlier, or replayed) is refused too and nothing is stored.
    h.fake.add_file("F1", "leave.md", HANDBOOK.encode(), "text/markdown")
    assert h.interaction(_submission("{\"channel\": \"C1\"}", ["F1"]))[0] == 200
    told = h.fake.wait_for(lambda: [c for c in h.fake.api_calls("chat.postEphemeral") if "only admins" in
                                    c.body.get("text", "")])
    assert told[0].body["user"] == "U1"
    with h.services.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM documents")).scalar_one() == 0

    assert h.command("/ragbot-upload", channel="C1", user="U2")[0] == 200
    h.fake.wait_for(lambda: h.fake.api_calls("views.open"))


def test_a_source_line_links_an_uploaded_file_and_says_when_it_is_old() -> None:
    from ragbot.adapters.slack.formatting import source_line
    from ragbot.domain import Citation

    c = Citation(n=2, title="Leave policy", source="leave.md", location="Vacation", snippet="", score=0.9,
                 link="https://acme.slack.com/files/U1/F1/leave.md", aged="last updated 14 months ago")
    assert source_line(c) == ("[2] <https://acme.slack.com/files/U1/F1/leave.md|Leave policy> — Vacation"
                              " _(last updated 14 months ago)_")
