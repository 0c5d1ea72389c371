"""Watched channels on Discord: /admin watch by admins only, attachments in a watched channel (or its threads) become
cited documents with a reaction trail, deleted messages are forgotten, and files in Ragbot's threads are offered."""

from __future__ import annotations

from sqlalchemy import text

from tests.adapters.discord.conftest import add_document, make_bot, run, running
from tests.adapters.discord.test_ask import HANDBOOK
from tests.fakes.discord_server import ADMIN_ID, BOT_ID, CHANNEL_ID, GUILD_ID, MEMBER_ID, OTHER_CHANNEL_ID, FakeDiscord

EPHEMERAL = 64


def replies(fake: FakeDiscord) -> list[str]:
    """Contents of the interaction responses so far."""
    return [c.body["data"]["content"] for c in fake.requests("POST", r"/callback") if c.body.get("data")]


def documents(services) -> list:  # type: ignore[no-untyped-def]
    with services.engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT id, channel, status, uploader, added_via, source_uri, chat_ref, error FROM documents ORDER BY id")))


async def admin(fake: FakeDiscord, sub: str, options: dict | None = None, *, uid: int = ADMIN_ID,  # type: ignore[type-arg]
                channel_id: int = CHANNEL_ID) -> str:
    """Run /admin SUB and return its (ephemeral) reply."""
    before = len(replies(fake))
    fake.command("admin", options or {}, sub=sub, uid=uid, permissions=0 if uid == MEMBER_ID else (1 << 50) - 1,
                 channel_id=channel_id)
    return (await fake.wait_for(lambda: replies(fake)[before:], what=f"/admin {sub}"))[0]


def test_watch_unwatch_and_watching_are_for_admins_and_server_scope_for_public_channels(services,
                                                                                       fake: FakeDiscord) -> None:
    fake.private_channels.add(OTHER_CHANNEL_ID)
    out: dict[str, str] = {}

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            out["refused"] = await admin(fake, "watch", uid=MEMBER_ID)
            out["watch"] = await admin(fake, "watch", {"scope": "server"})
            out["private"] = await admin(fake, "watch", {"scope": "server"}, channel_id=OTHER_CHANNEL_ID)
            out["private-channel"] = await admin(fake, "watch", channel_id=OTHER_CHANNEL_ID)
            out["list"] = await admin(fake, "watching")
            out["unwatch"] = await admin(fake, "unwatch", channel_id=OTHER_CHANNEL_ID)
            out["again"] = await admin(fake, "unwatch", channel_id=OTHER_CHANNEL_ID)
            out["after"] = await admin(fake, "watching")

    run(scenario())
    assert "Manage Server" in out["refused"]
    assert f"Watching <#{CHANNEL_ID}>" in out["watch"] and "the whole server" in out["watch"]
    assert "private" in out["private"] and "this channel only" in out["private-channel"]
    assert f"<#{CHANNEL_ID}> · answers the whole server" in out["list"]
    assert f"<#{OTHER_CHANNEL_ID}> · answers that channel" in out["list"]
    assert "No longer watching" in out["unwatch"] and "was not watched" in out["again"]
    assert str(OTHER_CHANNEL_ID) not in out["after"]
    assert all(c.body["data"]["flags"] & EPHEMERAL for c in fake.requests("POST", r"/callback"))


def test_an_attachment_in_a_watched_channel_is_ingested_with_a_reaction_trail_and_cited(services,
                                                                                        fake: FakeDiscord) -> None:
    async def scenario() -> str:
        async with running(make_bot(services), fake):
            await admin(fake, "watch")
            shared = fake.user_message(CHANNEL_ID, "our leave policy",
                                       attachments=[fake.add_file("leave.md", HANDBOOK.encode())])
            mid = int(shared["id"])
            await fake.wait_for(lambda: fake.reactions.get(mid) == ["✅"], what="✅ on the file's message")
            question = fake.user_message(CHANNEL_ID, f"<@{BOT_ID}> How many vacation days do employees get?",
                                         mention_bot=True)
            thread_id = int(question["id"])
            answer = await fake.wait_for(lambda: [m for m in fake.channel_log(thread_id) if m.get("embeds")],
                                         what="the answer")
            return answer[0]["embeds"][0]["description"]

    sources = run(scenario())
    (doc,) = documents(services)
    assert (doc.channel, doc.status, doc.uploader, doc.added_via) == (str(CHANNEL_ID), "ready",
                                                                      f"discord:{MEMBER_ID}", "watch")
    assert doc.source_uri.startswith(f"https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/")
    assert doc.source_uri in sources  # the citation links to the message that shared the file
    puts = [c.path for c in fake.requests("PUT", r"/reactions/")]
    assert len(puts) == 2 and len(fake.requests("DELETE", r"/reactions/")) == 1  # ⏳, then ✅ instead
    # No chatter in the channel: only the admin's private /admin answer is the bot's.
    assert not [m for m in fake.channel_log(CHANNEL_ID)
                if m["author"]["id"] == str(BOT_ID) and "interaction_token" not in m]


def test_a_broken_file_gets_a_cross_and_one_reply_and_an_image_is_skipped(services, fake: FakeDiscord) -> None:
    async def scenario() -> tuple[int, int]:
        async with running(make_bot(services), fake):
            await admin(fake, "watch")
            thread_id = fake.open_thread(CHANNEL_ID, "reports")  # a watch covers the channel's threads
            broken = fake.user_message(thread_id, "", attachments=[fake.add_file("report.pdf", b"not a pdf\n")])
            photo = fake.user_message(thread_id, "", attachments=[fake.add_file("team.png", b"\x89PNG" + bytes(9))])
            await fake.wait_for(lambda: fake.reactions.get(int(broken["id"])) == ["❌"], what="❌")
            # The reply is a separate request after the reaction: wait for it too, not only for the ❌.
            await fake.wait_for(lambda: [m for m in fake.channel_log(thread_id) if m["author"]["id"] == str(BOT_ID)],
                                what="the reply about the broken file")
            return thread_id, int(photo["id"])

    thread_id, photo = run(scenario())
    bot = [m for m in fake.channel_log(thread_id) if m["author"]["id"] == str(BOT_ID)]
    assert len(bot) == 1 and "report.pdf" in bot[0]["content"] and "not a valid PDF" in bot[0]["content"]
    assert photo not in fake.reactions
    (doc,) = documents(services)
    assert doc.status == "failed" and doc.channel == str(CHANNEL_ID)


def test_a_deleted_message_takes_its_documents_with_it(services, fake: FakeDiscord) -> None:
    async def scenario() -> None:
        async with running(make_bot(services), fake):
            await admin(fake, "watch")
            shared = fake.user_message(CHANNEL_ID, "", attachments=[fake.add_file("leave.md", HANDBOOK.encode())])
            await fake.wait_for(lambda: fake.reactions.get(int(shared["id"])) == ["✅"], what="✅")
            fake.dispatch("MESSAGE_DELETE", {"id": shared["id"], "channel_id": str(CHANNEL_ID),
                                             "guild_id": str(GUILD_ID)})
            await fake.wait_for(lambda: documents(services) == [], what="the document to go")

    run(scenario())


def test_files_in_an_unwatched_channel_are_left_alone_and_offered_in_ragbots_thread(services,
                                                                                   fake: FakeDiscord) -> None:
    add_document(services, HANDBOOK)

    async def scenario() -> tuple[int, dict]:  # type: ignore[type-arg]
        async with running(make_bot(services), fake):
            plain = fake.user_message(CHANNEL_ID, "", attachments=[fake.add_file("notes.md", b"# Notes\n\nHi.")])
            question = fake.user_message(CHANNEL_ID, f"<@{BOT_ID}> How many vacation days do employees get?",
                                         mention_bot=True)
            thread_id = int(question["id"])
            await fake.wait_for(lambda: [m for m in fake.channel_log(thread_id) if m.get("embeds")], what="answer")
            fake.user_message(thread_id, "", attachments=[fake.add_file("expenses.md", b"# Expenses\n\n30 days.")])
            offer = await fake.wait_for(lambda: [m for m in fake.channel_log(thread_id)
                                                 if "knowledge base" in m["content"]], what="the offer")
            assert int(plain["id"]) not in fake.reactions
            button = offer[0]["components"][0]["components"][0]["custom_id"]
            fake.click(offer[0], button, uid=MEMBER_ID)
            await fake.wait_for(lambda: len(documents(services)) == 2 and documents(services)[1].status == "ready",
                                what="the offered file to be added")
            return thread_id, offer[0]

    thread_id, offer = run(scenario())
    assert "**expenses.md**" in offer["content"]
    added = documents(services)[1]
    assert (added.channel, added.uploader) == (str(CHANNEL_ID), f"discord:{MEMBER_ID}")
    texts = [m["content"] for m in fake.channel_log(thread_id) if m["author"]["id"] == str(BOT_ID)]
    assert not any("after the mention" in t for t in texts)
