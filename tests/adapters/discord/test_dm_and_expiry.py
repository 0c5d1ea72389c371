"""DMs answer from the user's private space; an expired interaction token falls back to a channel message."""

from __future__ import annotations

from ragbot.adapters.discord.replies import EXPIRED_NOTE
from ragbot.domain import Scope
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from tests.adapters.discord.conftest import add_document, make_bot, run, running
from tests.adapters.discord.test_ask import HANDBOOK
from tests.fakes.discord_server import BOT_ID, CHANNEL_ID, DM_CHANNEL_ID, MEMBER_ID, FakeDiscord


def _bot_replies(fake: FakeDiscord, channel_id: int, marker: str) -> list[dict]:
    return [m for m in fake.channel_log(channel_id) if m["author"]["id"] == str(BOT_ID) and marker in m["content"]]


def test_dm_answers_from_the_users_private_space_only(services, fake: FakeDiscord) -> None:
    add_document(services, HANDBOOK)  # the server's document: not visible in DMs
    private = intake.add_file(services.engine, scope=Scope(f"discord:dm:{MEMBER_ID}"), max_bytes=10**6,
                              data=b"# Notes\n\nMy parking spot is number 42 on level two.", filename="notes.md",
                              source_uri="discord:upload/notes.md")
    ingest_document(services.ingest, private.document_id)

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            fake.user_message(DM_CHANNEL_ID, "How many vacation days do employees get?")
            await fake.wait_for(lambda: _bot_replies(fake, DM_CHANNEL_ID, "/upload"), what="the ungrounded DM")
            fake.user_message(DM_CHANNEL_ID, "Which parking spot is mine?")
            await fake.wait_for(lambda: [m for m in _bot_replies(fake, DM_CHANNEL_ID, "42") if m["embeds"]],
                                what="the DM answer")

    run(scenario())
    (answer,) = _bot_replies(fake, DM_CHANNEL_ID, "42")
    assert answer["embeds"][0]["title"] == "Sources"
    assert not _bot_replies(fake, DM_CHANNEL_ID, "25 vacation days")


def test_an_expired_interaction_token_ends_with_a_clear_channel_message(services, fake: FakeDiscord) -> None:
    add_document(services, HANDBOOK)
    # What Discord answers once the 15 minutes are over.
    fake.fail("PATCH", r"/webhooks/\d+/itoken-[^/]+/messages/@original", status=401, times=99)

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            fake.command("ask", {"question": "Who approves travel expenses?"})
            await fake.wait_for(lambda: [m for m in _bot_replies(fake, CHANNEL_ID, "manager") if m["embeds"]],
                                what="the fallback answer")

    run(scenario())
    posted = [c.body for c in fake.requests("POST", rf"/channels/{CHANNEL_ID}/messages$")]
    assert EXPIRED_NOTE in posted[0]["content"] and "manager" in posted[1]["content"]
    assert posted[-1]["embeds"][0]["title"] == "Sources"
