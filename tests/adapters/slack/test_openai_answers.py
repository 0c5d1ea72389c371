"""Slack answers written by a self-hosted model: the real openai SDK streams from a fake OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ragbot.adapters.slack.formatting import STREAMING_MARK
from ragbot.providers.openai_chat import OpenAIChatModel
from ragbot.providers.openai_stream import INTERRUPTED
from tests.adapters.slack.conftest import HANDBOOK
from tests.fakes.openai_server import FakeOpenAIServer

MODEL = "llama3.1:8b"
REPLY = "Employees get 25 vacation days per year [1]. Unused vacation days carry over until March [1]."


@pytest.fixture
def llm() -> Iterator[FakeOpenAIServer]:
    # A pause between deltas, as a model on a CPU has, so that Slack sees several interim edits.
    with FakeOpenAIServer(REPLY, models=(MODEL,), delta_delay=0.04) as server:
        yield server


def model(llm: FakeOpenAIServer, name: str = MODEL) -> OpenAIChatModel:
    return OpenAIChatModel(base_url=llm.base_url, model=name)


def bot_texts(h: Any, ts: str) -> list[str]:
    return [m.get("text", "") for m in h.fake.thread("C1", ts) if m.get("bot_id") and m["ts"] != ts]


def test_streamed_answer_is_edited_in_then_finished_with_sources(make_slack, llm: FakeOpenAIServer) -> None:
    h = make_slack(model(llm))
    h.ingest("leave.md", HANDBOOK)
    ts = h.mention("How many vacation days do I get per year?")

    messages = h.final_answer("C1", ts)
    edits = [c for c in h.fake.api_calls("chat.update") if c.body["ts"] == messages[0]["ts"]]
    interim, final = edits[:-1], edits[-1]
    assert len(interim) >= 2 and all(c.body["text"].endswith(STREAMING_MARK) for c in interim)
    # Interim edits grow as the model streams: they show text that arrived, not the finished answer at once.
    assert len(interim[0].body["text"]) < len(interim[-1].body["text"]) <= len(REPLY) + len(STREAMING_MARK)
    blocks = "\n".join(b.get("text", {}).get("text", "") for b in final.body["blocks"])
    assert "25 vacation days per year [1]" in blocks and "*Sources*\n[1] *Leave policy*" in blocks
    (request,) = llm.chat_requests()
    assert request.body["stream"] is True
    assert "Employees get 25 vacation days" in request.body["messages"][-1]["content"]  # the passage, as a source


def test_answer_cut_off_mid_stream_keeps_the_text_and_says_so(make_slack, llm: FakeOpenAIServer) -> None:
    llm.mode = "cut"
    h = make_slack(model(llm))
    h.ingest("leave.md", HANDBOOK)
    ts = h.mention("How many vacation days do I get per year?")
    final = h.fake.wait_for(lambda: [t for t in bot_texts(h, ts) if INTERRUPTED in t])
    assert final[0].startswith("Employees get 25")


def test_unknown_model_is_one_clear_line_in_the_thread(make_slack, llm: FakeOpenAIServer) -> None:
    h = make_slack(model(llm, "llama3.3"))
    h.ingest("leave.md", HANDBOOK)
    ts = h.mention("How many vacation days do I get per year?")
    (text,) = h.fake.wait_for(lambda: [t for t in bot_texts(h, ts) if "ollama pull" in t])
    assert "`ollama pull llama3.3`" in text and "RAGBOT_OPENAI_MODEL" in text and "\n" not in text.strip()
