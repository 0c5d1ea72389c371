"""Mentions open a thread; follow-ups in the bot's thread need no mention and carry the thread as history."""

from __future__ import annotations

from tests.adapters.discord.conftest import add_document, make_bot, run, running
from tests.adapters.discord.test_ask import HANDBOOK
from tests.fakes.discord_server import BOT_ID, BOT_ROLE_ID, CHANNEL_ID, FakeDiscord


def test_mention_opens_a_thread_and_a_follow_up_uses_its_history(services, fake: FakeDiscord) -> None:
    add_document(services, HANDBOOK)
    seen = services.chat.seen

    def answered(channel_id: int, count: int):  # type: ignore[no-untyped-def]
        def check() -> bool:
            bot_msgs = [m for m in fake.channel_log(channel_id) if m["author"]["id"] == str(BOT_ID)]
            return len([m for m in bot_msgs if m.get("embeds")]) >= count
        return check

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            question = fake.user_message(CHANNEL_ID, f"<@{BOT_ID}> How many vacation days do employees get?",
                                         mention_bot=True)
            thread_id = int(question["id"])  # a thread opened from a message shares its id
            await fake.wait_for(lambda: thread_id in fake.threads, what="the thread")
            await fake.wait_for(answered(thread_id, 1), what="the first answer")
            fake.user_message(thread_id, "Do unused vacation days carry over?")  # no mention needed
            await fake.wait_for(answered(thread_id, 2), what="the follow-up answer")

    run(scenario())
    (create,) = fake.requests("POST", rf"/channels/{CHANNEL_ID}/messages/\d+/threads")
    assert create.body["name"] == "How many vacation days do employees get?"
    # Nothing was posted in the channel itself: the whole conversation lives in the thread.
    assert all(m["author"]["id"] != str(BOT_ID) for m in fake.channel_log(CHANNEL_ID))
    first, follow_up = seen[0], seen[-1]
    assert first[2] == []  # a new thread has no history
    history = follow_up[2]
    assert follow_up[0] == "Do unused vacation days carry over?"
    assert [t.role for t in history] == ["user", "assistant"]
    assert history[0].text == "How many vacation days do employees get?"  # the starter message, mention stripped
    assert "25 vacation days" in history[1].text
    assert history[1].sources == ("Leave",)  # the title, read back from the answer's Sources embed


def test_mentioning_the_bots_managed_role_counts_as_a_mention(services, fake: FakeDiscord) -> None:
    add_document(services, HANDBOOK)

    async def scenario() -> int:
        async with running(make_bot(services), fake):
            # Autocomplete offers the bot's managed role right next to the bot user; people pick either.
            question = fake.user_message(CHANNEL_ID, f"<@&{BOT_ROLE_ID}> How many vacation days do employees get?",
                                         mention_bot_role=True)
            thread_id = int(question["id"])
            await fake.wait_for(lambda: any(m.get("embeds") for m in fake.channel_log(thread_id)
                                            if m["author"]["id"] == str(BOT_ID)), what="the answer")
            return thread_id

    thread_id = run(scenario())
    assert services.chat.seen[0][0] == "How many vacation days do employees get?"  # the role mention is stripped
    answer = [m for m in fake.channel_log(thread_id) if m["author"]["id"] == str(BOT_ID)][0]
    assert "25 vacation days" in answer["content"]
