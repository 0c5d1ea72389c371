"""Discord /ask answered by a self-hosted model: the real openai SDK streams from a fake OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ragbot.providers.openai_chat import OpenAIChatModel
from tests.adapters.discord.conftest import add_document, make_bot, run, running
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.openai_server import FakeOpenAIServer

HANDBOOK = ("# Leave\n\nEmployees get 25 vacation days per year. Unused vacation days carry over until March.\n\n"
            "# Expenses\n\nTravel expenses are approved by your manager within five days.")
REPLY = "Employees get 25 vacation days per year [1], and unused days carry over until March [1]."


@pytest.fixture
def llm() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(REPLY, models=("qwen2.5:7b",), delta_delay=0.03) as server:
        yield server


@pytest.fixture
def chat_model(llm: FakeOpenAIServer) -> OpenAIChatModel:
    return OpenAIChatModel(base_url=llm.base_url, model="qwen2.5:7b")


def ask(services, fake: FakeDiscord, question: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """Run /ask and return the bodies of the edits of the original response, once one is final."""
    async def scenario() -> None:
        async with running(make_bot(services), fake):
            token = fake.command("ask", {"question": question})
            await fake.wait_for(lambda: any(c.body and not c.body.get("content", "").endswith(" …")
                                            for c in fake.requests("PATCH", token)), what="the final edit")

    run(scenario())
    return [c.body for c in fake.requests("PATCH", r"/messages/@original")]


def test_reply_streams_then_ends_with_sources(services, fake: FakeDiscord, llm: FakeOpenAIServer) -> None:
    add_document(services, HANDBOOK)
    edits = ask(services, fake, "How many vacation days do employees get?")
    assert len(edits) >= 2 and all(e["content"].endswith(" …") for e in edits[:-1]), edits
    final = edits[-1]
    assert final["content"] == REPLY
    (embed,) = final["embeds"]
    assert embed["title"] == "Sources" and embed["description"].startswith("`[1]` **Leave**")
    assert len(llm.chat_requests()) == 1


def test_a_model_that_streams_nothing_gets_a_clear_message(services, fake: FakeDiscord,
                                                           llm: FakeOpenAIServer) -> None:
    llm.mode = "empty"
    add_document(services, HANDBOOK)
    final = ask(services, fake, "How many vacation days do employees get?")[-1]
    assert "sent an empty answer" in final["content"] and "docs/local-llm.md" in final["content"]
    assert not final.get("embeds")
