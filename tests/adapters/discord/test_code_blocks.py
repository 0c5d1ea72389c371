"""A code block longer than one Discord message is closed at each cut and reopened in the next message."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import pytest

from ragbot.domain import ScoredChunk, Turn
from tests.adapters.discord.conftest import add_document, run
from tests.adapters.discord.test_ask import HANDBOOK
from tests.adapters.discord.test_long_answers import _ask, _delivered
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.providers import FakeChatModel

CODE_LINES = [f"    vacation_days[{i}] = accrue(month={i % 12})  # [1]" for i in range(100)]
CODE_BLOCK = "```python\n" + "\n".join(CODE_LINES) + "\n```"  # about 5,000 characters: three messages


class CodeChatModel(FakeChatModel):
    """Streams an answer whose code block is longer than one Discord message."""

    def stream_answer(self, question: str, passages: Sequence[ScoredChunk], history: Sequence[Turn]
                      ) -> Iterator[str]:
        yield "Vacation days accrue monthly [1]. The HR script does it like this:\n\n"
        for i in range(0, len(CODE_BLOCK), 400):
            yield CODE_BLOCK[i : i + 400]
        yield "\n\nRun it at the start of each month [1]."


@pytest.fixture
def chat_model() -> CodeChatModel:
    return CodeChatModel()


def test_a_code_block_split_over_messages_is_closed_and_reopened(services, fake: FakeDiscord) -> None:
    add_document(services, HANDBOOK)
    token = run(_ask(fake, services, "How do vacation days accrue for employees?"))
    contents = [m["content"] for m in _delivered(fake, token)]

    assert len(contents) >= 3 and all(len(c) <= 2000 for c in contents)
    fences = [len(re.findall(r"^```", c, re.M)) for c in contents]
    assert all(n % 2 == 0 for n in fences), fences  # every message renders its code as code
    assert all(c.startswith("```python\n    vacation_days[") for c in contents[1:-1])
