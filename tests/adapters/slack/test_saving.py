"""The "Save to Ragbot" message shortcut: a whole thread becomes one document, cited by the thread's permalink."""

from __future__ import annotations

from sqlalchemy import text

from tests.adapters.slack.conftest import ScriptedChat


def save(h, channel: str, ts: str, thread_ts: str, user: str) -> None:  # type: ignore[no-untyped-def]
    """A person picks "Save to Ragbot" on a message of a thread."""
    status, _ = h.interaction({"type": "message_action", "callback_id": "ragbot_save_thread", "user": {"id": user},
                               "channel": {"id": channel}, "message_ts": ts,
                               "message": {"type": "message", "ts": ts, "thread_ts": thread_ts, "text": "..."},
                               "response_url": f"{h.fake.root}/response/save"})
    assert status == 200


def saved(h) -> list:  # type: ignore[no-untyped-def]
    with h.services.engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT d.id, d.title, d.channel, d.status, d.source_uri, d.uploader, d.added_via, d.version,"
            " string_agg(c.text, ' ' ORDER BY c.ordinal) AS body"
            " FROM documents d LEFT JOIN chunks c ON c.document_id = d.id GROUP BY d.id ORDER BY d.id")))


def test_saving_a_thread_makes_one_cited_document_and_saving_again_updates_it(make_slack) -> None:
    h = make_slack(ScriptedChat("Click *Reset token* in the VPN portal [1]."))
    for uid, name in (("U1", "Ada"), ("U2", "Max")):
        h.fake.add_user(uid, profile={"display_name": name})
    root = h.next_ts()
    h.fake.add_message("C1", root, "U1", "How do I reset my VPN token?\nIt says expired since Monday.")
    reply = h.next_ts()
    h.fake.add_message("C1", reply, "U2", "Open the VPN portal and click Reset token, then sign in again.",
                       thread_ts=root)

    save(h, "C1", reply, root, "U2")
    h.fake.wait_for(lambda: h.fake.reactions.get(("C1", root)) == ["white_check_mark"])
    permalink = f"https://test.slack.com/archives/C1/p{root.replace('.', '')}"
    (doc,) = saved(h)
    assert (doc.title, doc.channel, doc.status, doc.source_uri) == (
        "How do I reset my VPN token?", "C1", "ready", permalink)
    assert (doc.uploader, doc.added_via) == ("slack:U2", "thread")
    assert "**Ada** (" in doc.body and "**Max** (" in doc.body and "UTC)" in doc.body
    assert doc.body.index("expired since Monday") < doc.body.index("click Reset token")
    note = [c.body for c in h.fake.api_calls("chat.postEphemeral")][-1]
    assert note["user"] == "U2" and "Saving this thread as *How do I reset my VPN token?*" in note["text"]

    question = h.mention("How do I reset the VPN token?", channel="C1")
    answer = "\n".join(b.get("text", {}).get("text", "") for m in h.final_answer("C1", question)
                       for b in m.get("blocks") or [])
    assert f"<{permalink}|How do I reset my VPN token?>" in answer

    later = h.next_ts()
    h.fake.add_message("C1", later, "U1", "That worked, thanks! Tokens also expire every 90 days.", thread_ts=root)
    save(h, "C1", root, root, "U2")
    h.fake.wait_for(lambda: "every 90 days" in (saved(h)[0].body or "") and saved(h)[0].status == "ready")
    (again,) = saved(h)
    assert again.id == doc.id and again.version > doc.version  # updated in place, not a second document


def test_saving_someone_elses_saved_thread_follows_the_upload_policy(make_slack) -> None:
    h = make_slack()
    h.fake.add_user("U3", is_admin=False)
    root = h.next_ts()
    h.fake.add_message("C1", root, "U1", "Where is the parking garage?")
    h.fake.add_message("C1", h.next_ts(), "U2", "Level -2, entrance on Elm Street.", thread_ts=root)
    save(h, "C1", root, root, "U1")
    h.fake.wait_for(lambda: h.fake.reactions.get(("C1", root)) == ["white_check_mark"])
    h.fake.add_message("C1", h.next_ts(), "U3", "Actually it moved to level -3.", thread_ts=root)
    save(h, "C1", root, root, "U3")
    h.fake.wait_for(lambda: "x" in h.fake.reactions.get(("C1", root), []))
    (reply,) = h.fake.wait_for(lambda: [m for m in h.fake.thread("C1", root) if m.get("bot_id")])
    assert "Only they or an admin can replace it" in reply["text"]
    (doc,) = saved(h)
    assert doc.uploader == "slack:U1" and "level -3" not in doc.body


def test_only_admins_save_threads_when_only_admins_may_upload(make_slack) -> None:
    h = make_slack(uploaders="admins")
    h.fake.add_user("U3", is_admin=False)
    root = h.next_ts()
    h.fake.add_message("C1", root, "U1", "Where is the parking garage?")
    save(h, "C1", root, root, "U3")
    note = h.fake.wait_for(lambda: h.fake.api_calls("chat.postEphemeral"))[0].body
    assert note["user"] == "U3" and "only admins" in note["text"]
    assert saved(h) == [] and not h.fake.reactions.get(("C1", root))
