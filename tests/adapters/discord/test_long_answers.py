"""Long answers: 2,000-character messages cut at boundaries (never inside [n]); a 429 on a followup is retried."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import pytest

from ragbot.domain import ScoredChunk, Turn
from tests.adapters.discord.conftest import add_document, make_bot, run, running
from tests.adapters.discord.test_ask import HANDBOOK
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.providers import FakeChatModel


def long_answer() -> str:
    """About 4,500 characters of paragraphs and sentences with citations everywhere."""
    sentence = "Vacation days accrue monthly and the balance shows in the HR portal [1]. "
    paragraphs = [" ".join([sentence] * 6).strip() for _ in range(10)]
    text = "\n\n".join(paragraphs)
    return text[:4500].rsplit(" ", 1)[0] + " [1]."


class LongChatModel(FakeChatModel):
    """Streams a 4,500-character cited answer."""

    def stream_answer(self, question: str, passages: Sequence[ScoredChunk], history: Sequence[Turn]
                      ) -> Iterator[str]:
        text = long_answer()
        for i in range(0, len(text), 500):
            yield text[i : i + 500]


@pytest.fixture
def chat_model() -> LongChatModel:
    return LongChatModel()


def _delivered(fake: FakeDiscord, token: str) -> list[dict]:
    """The answer's messages in order: the (final) original response, then the followups."""
    if fake.interactions[token]["original"] is None:
        return []
    original = fake.messages[fake.interactions[token]["original"]]
    followups = [m for m in fake.messages.values() if m.get("interaction_token") == token and m is not original]
    return [original, *followups]


async def _ask(fake: FakeDiscord, services, question: str) -> str:  # type: ignore[no-untyped-def]
    async with running(make_bot(services), fake):
        token = fake.command("ask", {"question": question})
        await fake.wait_for(lambda: any(m.get("embeds") for m in _delivered(fake, token)[1:]), what="the sources")
        return token


def test_a_4500_character_answer_is_split_into_valid_messages(services, fake: FakeDiscord) -> None:
    add_document(services, HANDBOOK)
    token = run(_ask(fake, services, "How do vacation days accrue for employees?"))
    messages = _delivered(fake, token)
    contents = [m["content"] for m in messages]
    assert len(messages) == 3 and all(len(c) <= 2000 for c in contents)
    assert " ".join(" ".join(contents).split()) == " ".join(long_answer().split())  # nothing lost or added
    for c in contents:
        assert c.count("[") == c.count("]") == len(re.findall(r"\[\d+\]", c))  # no citation cut in half
        assert c.endswith((".", "[1]."))  # cut at sentence ends
    assert [bool(m.get("embeds")) for m in messages] == [False, False, True]  # sources come last
    assert [bool(m.get("components")) for m in messages] == [False, False, True]


def test_a_429_on_a_followup_is_retried(services, fake: FakeDiscord) -> None:
    add_document(services, HANDBOOK)
    fake.fail("POST", r"^/api/v10/webhooks/\d+/itoken-[^/]+$", status=429, times=2, retry_after=0.3)
    token = run(_ask(fake, services, "How do vacation days accrue for employees?"))
    posts = fake.requests("POST", rf"/webhooks/\d+/{token}$")
    assert [c.status for c in posts] == [429, 429, 200, 200]  # the library waited retry_after and tried again
    assert len(_delivered(fake, token)) == 3
