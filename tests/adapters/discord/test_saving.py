"""The "Save to Ragbot" message context menu: a whole thread becomes one document, cited by the thread's link."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from tests.adapters.discord.conftest import make_bot, run, running
from tests.fakes.discord_server import ADMIN_ID, APP_ID, BOT_ID, CHANNEL_ID, GUILD_ID, MEMBER_ID, FakeDiscord

EPHEMERAL = 64


def save(fake: FakeDiscord, message: dict[str, Any], *, uid: int = MEMBER_ID) -> str:
    """A member picks Apps → Save to Ragbot on a message (a MESSAGE command, type 3)."""
    data = {"id": str(APP_ID + 9), "name": "Save to Ragbot", "type": 3, "target_id": message["id"],
            "resolved": {"messages": {message["id"]: message}}}
    return fake.interaction(data, uid=uid, permissions=0, channel_id=int(message["channel_id"]))


def saved(services) -> list:  # type: ignore[no-untyped-def]
    with services.engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT d.id, d.title, d.channel, d.status, d.source_uri, d.uploader, d.added_via, d.version,"
            " string_agg(c.text, ' ' ORDER BY c.ordinal) AS body"
            " FROM documents d LEFT JOIN chunks c ON c.document_id = d.id GROUP BY d.id ORDER BY d.id")))


def test_saving_a_thread_makes_one_cited_document_and_saving_again_updates_it(services, fake: FakeDiscord) -> None:
    out: dict[str, Any] = {}

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            thread_id = fake.open_thread(CHANNEL_ID, "vpn")
            first = fake.user_message(thread_id, "How do I reset my VPN token?\nIt says expired.", uid=MEMBER_ID)
            reply = fake.user_message(thread_id, "Open the VPN portal and click Reset token.", uid=ADMIN_ID)
            token = save(fake, reply)
            await fake.wait_for(lambda: fake.reactions.get(int(first["id"])) == ["✅"], what="✅ on the first message")
            out["note"] = (await fake.wait_for(lambda: [c.body for c in fake.requests("POST", rf"/{token}")
                                                        if c.body and c.body.get("content")], what="the note"))[0]
            out["doc"] = saved(services)[0]
            question = fake.user_message(CHANNEL_ID, f"<@{BOT_ID}> How do I reset the VPN token?", mention_bot=True)
            answer = await fake.wait_for(lambda: [m for m in fake.channel_log(int(question["id"])) if m.get("embeds")],
                                         what="the answer")
            out["sources"] = answer[0]["embeds"][0]["description"]
            fake.user_message(thread_id, "Worked! Tokens expire every 90 days.", uid=MEMBER_ID)
            save(fake, first)
            await fake.wait_for(lambda: "every 90 days" in (saved(services)[0].body or "")
                                and saved(services)[0].status == "ready", what="the update")
            out["thread_id"] = thread_id

    run(scenario())
    doc, permalink = out["doc"], f"https://discord.com/channels/{GUILD_ID}/{out['thread_id']}"
    assert (doc.title, doc.channel, doc.status, doc.source_uri) == (
        "How do I reset my VPN token?", str(CHANNEL_ID), "ready", permalink)
    assert (doc.uploader, doc.added_via) == (f"discord:{MEMBER_ID}", "thread")
    assert "**max** (" in doc.body and "**ada** (" in doc.body and "UTC)" in doc.body
    assert out["note"]["flags"] & EPHEMERAL and "Saving this thread as **How do I reset my VPN token?**" in (
        out["note"]["content"])
    assert permalink in out["sources"]
    (again,) = saved(services)
    assert again.id == doc.id and again.version > doc.version


def test_members_may_not_save_threads_when_only_admins_may_upload(services, fake: FakeDiscord) -> None:
    services.settings = services.settings.model_copy(update={"uploaders": "admins"})

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            thread_id = fake.open_thread(CHANNEL_ID, "parking")
            first = fake.user_message(thread_id, "Where is the parking garage?", uid=MEMBER_ID)
            token = save(fake, first)
            await fake.wait_for(lambda: fake.requests("POST", rf"/{token}/callback"), what="the refusal")

    run(scenario())
    (refusal,) = [c.body for c in fake.requests("POST", r"/callback")]
    assert refusal["type"] == 4 and refusal["data"]["flags"] & EPHEMERAL and "only admins" in refusal["data"]["content"]
    assert saved(services) == [] and not fake.reactions
