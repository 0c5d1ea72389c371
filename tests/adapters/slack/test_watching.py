"""Watched channels: admins watch a channel, files shared there (and in its threads) become cited documents, with a
reaction trail; files shared into Ragbot's threads are offered or ingested, and their text is answered."""

from __future__ import annotations

import itertools
import time

from sqlalchemy import text

from tests.adapters.slack.conftest import HANDBOOK, ScriptedChat

_ids = itertools.count(100)
REPLY = "Employees get 25 vacation days per year [1]."


def share(h, name: str, data: bytes, *, channel: str = "C1", user: str = "U2", text_: str = "",  # type: ignore[no-untyped-def]
          thread_ts: str | None = None, file_id: str | None = None) -> tuple[str, str]:
    """A member shares a file in a channel message (subtype file_share); returns (message ts, file id)."""
    fid = file_id or f"F{next(_ids)}"
    if fid not in h.fake.files:
        h.fake.add_file(fid, name, data, "text/markdown")
    ts = h.next_ts()
    h.fake.add_message(channel, ts, user, text_, thread_ts)
    event = {"type": "message", "subtype": "file_share", "channel_type": "channel", "channel": channel, "user": user,
             "text": text_, "ts": ts, "event_ts": ts, "files": [{"id": fid, "name": name, "size": len(data)}]}
    if thread_ts:
        event["thread_ts"] = thread_ts
    assert h.event(event) == 200
    return ts, fid


def admin_says(h, words: str, *, channel: str = "C1", user: str = "UADMIN") -> str:  # type: ignore[no-untyped-def]
    """Run /ragbot-admin WORDS and return the private answer."""
    before = len(h.responses())
    assert h.command("/ragbot-admin", words, channel=channel, user=user)[0] == 200
    return h.fake.wait_for(lambda: h.responses()[before:])[0]["text"]


def reactions(h, channel: str, ts: str) -> list[str]:  # type: ignore[no-untyped-def]
    return list(h.fake.reactions.get((channel, ts), []))


def documents(h) -> list:  # type: ignore[no-untyped-def]
    with h.services.engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT id, channel, status, uploader, added_via, source_uri, chat_ref, error FROM documents ORDER BY id")))


def test_watch_unwatch_and_watching_are_for_admins_only(make_slack) -> None:
    h = make_slack()
    h.fake.add_user("UADMIN", is_admin=True)
    h.fake.add_user("U2", is_admin=False)
    assert "for workspace admins" in admin_says(h, "watch", user="U2")
    assert "No channel is watched" in admin_says(h, "watching")

    reply = admin_says(h, "watch")
    assert "Watching <#C1>" in reply and "this channel only" in reply
    h.fake.private_channels.add("G9")
    refused = admin_says(h, "watch workspace", channel="G9")
    assert "private channel" in refused
    assert "the whole workspace" in admin_says(h, "watch workspace", channel="C2")
    listing = admin_says(h, "watching")
    assert "<#C1> · answers that channel" in listing and "<#C2> · answers the whole workspace" in listing
    assert "G9" not in listing

    assert "for workspace admins" in admin_says(h, "unwatch", user="U2")
    assert "No longer watching <#C1>" in admin_says(h, "unwatch")
    assert "was not watched" in admin_says(h, "unwatch")
    assert "<#C1>" not in admin_says(h, "watching")
    assert "`watch workspace`" in admin_says(h, "help")
    # Policy changes are in the audit trail, newest first, with who made them.

    trail = [(e.action, e.subject, e.actor) for e in h.services.admin.audit_trail()]
    assert trail == [("unwatch", "channel C1", "slack:UADMIN"), ("watch", "channel C2", "slack:UADMIN"),
                     ("watch", "channel C1", "slack:UADMIN")]


def test_a_file_shared_in_a_watched_channel_is_ingested_with_a_reaction_trail_and_cited(make_slack) -> None:
    h = make_slack(ScriptedChat(REPLY))
    h.fake.add_user("UADMIN", is_admin=True)
    admin_says(h, "watch")
    ts, fid = share(h, "leave.md", HANDBOOK.encode(), text_="our leave policy")

    h.fake.wait_for(lambda: reactions(h, "C1", ts) == ["white_check_mark"])
    added = [c.body["name"] for c in h.fake.api_calls("reactions.add")]
    removed = [c.body["name"] for c in h.fake.api_calls("reactions.remove")]
    assert added == ["hourglass_flowing_sand", "white_check_mark"] and removed == ["hourglass_flowing_sand"]
    doc = documents(h)[0]
    assert (doc.channel, doc.status, doc.uploader, doc.added_via) == ("C1", "ready", "slack:U2", "watch")
    assert doc.source_uri == f"https://test.slack.com/files/{fid}" and doc.chat_ref["file_id"] == fid
    # No status message and no reply: a watched channel is not filled with bot chatter.
    assert not [m for m in h.fake.messages["C1"] if m.get("bot_id")]

    question = h.mention("How many vacation days do I get?")
    answer = "\n".join(b.get("text", {}).get("text", "") for m in h.final_answer("C1", question)
                       for b in m.get("blocks") or [])
    assert f"<https://test.slack.com/files/{fid}|Leave policy>" in answer


def test_failures_get_a_cross_and_one_reply_and_unsupported_files_are_skipped_quietly(make_slack) -> None:
    h = make_slack()
    h.fake.add_user("UADMIN", is_admin=True)
    admin_says(h, "watch")
    photo, _ = share(h, "team-photo.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
    broken, _ = share(h, "report.pdf", b"this is not a PDF at all\n")

    # ❌ comes first, then the reply: wait for both before reading the thread.
    h.fake.wait_for(lambda: reactions(h, "C1", broken) == ["x"]
                    and [m for m in h.fake.thread("C1", broken) if m.get("bot_id")])
    replies = [m for m in h.fake.thread("C1", broken) if m.get("bot_id")]
    assert len(replies) == 1 and "report.pdf" in replies[0]["text"] and "not a valid PDF" in replies[0]["text"]
    assert replies[0]["thread_ts"] == broken
    time.sleep(0.3)  # the photo had as long as the PDF to be (wrongly) handled
    assert reactions(h, "C1", photo) == [] and not [m for m in h.fake.thread("C1", photo) if m.get("bot_id")]
    assert [d.status for d in documents(h)] == ["failed"]  # the PDF only: `docs --failed` shows it, not the photo


def test_files_in_an_unwatched_channel_are_left_alone(make_slack) -> None:
    h = make_slack()
    ts, _ = share(h, "leave.md", HANDBOOK.encode(), channel="C7")
    time.sleep(0.3)
    assert documents(h) == [] and reactions(h, "C7", ts) == [] and not h.fake.api_calls("chat.postMessage")


def test_a_same_named_file_from_another_member_is_a_new_document_and_a_reshare_costs_nothing(make_slack) -> None:
    h = make_slack()
    h.fake.add_user("UADMIN", is_admin=True)
    admin_says(h, "watch")
    first, fid = share(h, "notes.md", b"# Notes\n\nThe office opens at 8.", user="U2")
    h.fake.wait_for(lambda: reactions(h, "C1", first) == ["white_check_mark"])
    other, _ = share(h, "notes.md", b"# Notes\n\nParking is on level -2.", user="U3")
    h.fake.wait_for(lambda: reactions(h, "C1", other) == ["white_check_mark"])
    again, _ = share(h, "notes.md", b"", user="U2", file_id=fid)  # the same file shared once more
    h.fake.wait_for(lambda: reactions(h, "C1", again) == ["white_check_mark"])
    # The same bytes uploaded anew (a new file id, another name) are already cited: nothing is stored or queued.
    copy, _ = share(h, "notes (1).md", b"# Notes\n\nThe office opens at 8.", user="U4")
    h.fake.wait_for(lambda: reactions(h, "C1", copy) == ["white_check_mark"])
    docs = documents(h)
    assert [(d.uploader, d.status) for d in docs] == [("slack:U2", "ready"), ("slack:U3", "ready")]
    ingested = [kw["document_id"] for name, kw in h.queue.enqueued if name == "ragbot.ingest_document"]
    assert ingested == [docs[0].id, docs[1].id]  # the re-shares queued nothing


def test_a_file_deleted_in_slack_is_forgotten(make_slack) -> None:
    h = make_slack()
    h.fake.add_user("UADMIN", is_admin=True)
    admin_says(h, "watch")
    ts, fid = share(h, "leave.md", HANDBOOK.encode())
    h.fake.wait_for(lambda: reactions(h, "C1", ts) == ["white_check_mark"])
    assert h.event({"type": "file_deleted", "file_id": fid, "event_ts": h.next_ts()}) == 200
    h.fake.wait_for(lambda: documents(h) == [])


def test_a_file_shared_into_ragbots_thread_is_offered_and_its_text_answered(make_slack) -> None:
    h = make_slack(ScriptedChat(REPLY))
    h.ingest("leave.md", HANDBOOK)
    root = h.mention("How many vacation days do I get?")
    h.final_answer("C1", root)
    share(h, "expenses.md", b"# Expenses\n\nReceipts within 30 days.", user="U1", thread_ts=root,
          text_="and do they carry over?")

    offer = h.fake.wait_for(lambda: [m for m in h.fake.thread("C1", root)
                                     if m.get("bot_id") and "knowledge base" in (m.get("text") or "")])
    button = [e for b in offer[0]["blocks"] if b["type"] == "actions" for e in b["elements"]][0]
    assert button["action_id"] == "ragbot_add_files" and button["value"].startswith("F")
    # The text was answered as a follow-up in the same thread, never "ask me a question after the mention".
    h.fake.wait_for(lambda: len([m for m in h.fake.thread("C1", root)
                                 if m.get("bot_id") and "25 vacation days" in (m.get("text") or "")]) >= 2)
    texts = [m.get("text") or "" for m in h.fake.thread("C1", root) if m.get("bot_id")]
    assert not any("after the mention" in t for t in texts)
    assert documents(h)[0].source_uri == "leave.md" and len(documents(h)) == 1


def test_a_file_alone_in_ragbots_thread_of_a_watched_channel_is_ingested_without_an_answer(make_slack) -> None:
    h = make_slack(ScriptedChat(REPLY))
    h.fake.add_user("UADMIN", is_admin=True)
    h.ingest("leave.md", HANDBOOK, channel="C1")
    root = h.mention("How many vacation days do I get?")
    h.final_answer("C1", root)
    admin_says(h, "watch")
    ts, _ = share(h, "expenses.md", b"# Expenses\n\nReceipts within 30 days.", user="U1", thread_ts=root)
    h.fake.wait_for(lambda: reactions(h, "C1", ts) == ["white_check_mark"])
    texts = [m.get("text") or "" for m in h.fake.thread("C1", root) if m.get("bot_id")]
    assert len(texts) == 1 and not any("after the mention" in t for t in texts)  # only the first answer


def test_a_flood_of_files_is_queued_without_blocking_answers_and_throttled_files_wait(make_slack) -> None:
    h = make_slack(ScriptedChat(REPLY), uploads_per_hour=5)
    h.fake.add_user("UADMIN", is_admin=True)
    h.ingest("leave.md", HANDBOOK)
    admin_says(h, "watch workspace")
    started = time.monotonic()
    shared = [share(h, f"note-{i}.md", f"# Note {i}\n\nRoom {i} is on floor {i}.".encode())[0] for i in range(40)]
    acked = time.monotonic() - started
    question = h.mention("How many vacation days do I get?")
    assert "25 vacation days" in h.final_answer("C1", question)[-1]["text"]
    h.fake.wait_for(lambda: len(documents(h)) == 41, timeout=60)

    def throttled() -> list:  # type: ignore[type-arg]
        return [d for d in documents(h)[1:] if d.error and "upload limit" in d.error]

    # A file's document is written before the limit is checked and its note set: wait for the notes, not the rows.
    h.fake.wait_for(lambda: len(throttled()) >= 35, timeout=60)
    assert len(throttled()) == 35 and all(d.status == "queued" for d in throttled())  # kept, never dropped
    h.fake.wait_for(lambda: sum(reactions(h, "C1", ts) == ["white_check_mark"] for ts in shared) == 5, timeout=60)
    print(f"40 file_share events acked in {acked:.2f} s")
