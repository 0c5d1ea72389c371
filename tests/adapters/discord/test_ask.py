"""/ask through the real client: defer, streamed edits, the sources embed and the feedback buttons."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy import text

from ragbot.domain import ScoredChunk, Turn
from tests.adapters.discord.conftest import add_document, make_bot, run, running
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.providers import FakeChatModel

HANDBOOK = ("# Leave\n\nEmployees get 25 vacation days per year. Unused vacation days carry over until March.\n\n"
            "# Expenses\n\nTravel expenses are approved by your manager within five days.")


class SlowChatModel(FakeChatModel):
    """Streams its answer word by word with pauses, like a real model."""

    def stream_answer(self, question: str, passages: Sequence[ScoredChunk], history: Sequence[Turn]
                      ) -> Iterator[str]:
        for piece in super().stream_answer(question, passages, history):
            for word in piece.split(" "):
                time.sleep(0.03)
                yield word + " "


@pytest.fixture
def chat_model() -> SlowChatModel:
    return SlowChatModel()


def test_ask_defers_then_streams_edits_then_finishes_with_sources(services, fake: FakeDiscord) -> None:
    add_document(services, HANDBOOK)

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            token = fake.command("ask", {"question": "How many vacation days do employees get?"})
            await fake.wait_for(lambda: any(c.body and c.body.get("embeds") for c in fake.requests("PATCH", token)),
                                what="the final edit")

    run(scenario())
    callbacks = fake.requests("POST", r"/interactions/\d+/itoken")
    assert [c.body["type"] for c in callbacks] == [5]  # deferred ("thinking") first
    edits = [c.body for c in fake.requests("PATCH", r"/messages/@original")]
    assert len(edits) >= 3, edits  # several streaming edits, then the final one
    assert all(e["content"].endswith(" …") for e in edits[:-1])
    final = edits[-1]
    assert "25 vacation days" in final["content"] and "[1]" in final["content"]
    assert not final["content"].endswith(" …")
    (embed,) = final["embeds"]
    assert embed["title"] == "Sources" and embed["description"].startswith("`[1]` **Leave**")
    buttons = [c["custom_id"] for row in final["components"] for c in row["components"]]
    assert buttons[0].startswith("ragbot:vote:up:") and buttons[1].startswith("ragbot:vote:down:")


def test_feedback_button_stores_the_vote(services, fake: FakeDiscord) -> None:
    add_document(services, HANDBOOK)

    async def scenario() -> None:
        async with running(make_bot(services), fake) as bot:
            token = fake.command("ask", {"question": "Who approves travel expenses?"})
            await fake.wait_for(lambda: any(c.body and c.body.get("embeds") for c in fake.requests("PATCH", token)))
            answer = fake.messages[fake.interactions[token]["original"]]
            up = answer["components"][0]["components"][0]["custom_id"]
            # A restart must not break old buttons: the dynamic item is matched by its custom_id pattern alone.
            await bot.remove_cog("Ragbot")
            from ragbot.adapters.discord.cogs.ragbot import RagbotCog
            await bot.add_cog(RagbotCog(bot, services.use_cases("discord"), services.settings))
            click = fake.click(answer, up)
            await fake.wait_for(lambda: fake.requests("POST", rf"/interactions/\d+/{click}/callback"))

    run(scenario())
    with services.engine.connect() as conn:
        votes = conn.execute(text("SELECT platform, user_id, vote FROM feedback")).all()
    assert [(v.platform, v.vote) for v in votes] == [("discord", 1)]


def test_sources_link_an_upload_to_its_message_and_say_when_it_is_old(services, fake: FakeDiscord) -> None:
    doc = add_document(services, HANDBOOK)
    link = "https://discord.com/channels/1/2/3"
    with services.engine.begin() as conn:
        conn.execute(text("UPDATE documents SET link = :l, content_changed_at = now() - interval '800 days'"
                          " WHERE id = :d"), {"l": link, "d": doc})

    async def scenario() -> None:
        async with running(make_bot(services), fake):
            token = fake.command("ask", {"question": "How many vacation days do employees get?"})
            await fake.wait_for(lambda: any(c.body and c.body.get("embeds") for c in fake.requests("PATCH", token)),
                                what="the final edit")

    run(scenario())
    (embed,) = [c.body for c in fake.requests("PATCH", r"/messages/@original")][-1]["embeds"]
    assert embed["description"].startswith(f"`[1]` [Leave]({link})")
    assert "*(last updated 2 years ago)*" in embed["description"]
