"""ClaudeChatModel against a local fake of the Messages API, through the real anthropic SDK."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from ragbot.domain import ScoredChunk, Turn
from ragbot.errors import RagbotError, TransientError
from ragbot.prompts import condense_system_prompt, system_prompt
from ragbot.providers.anthropic import ClaudeChatModel
from tests.fakes.anthropic_server import FakeAnthropicServer, split_deltas

KEY = "sk-ant-test"
REPLY = "Employees get 25 days of paid leave [1]. Contractors are not covered [2]."
PASSAGES = [
    ScoredChunk(1, 10, 0, "Employees receive 25 days of paid annual leave.", "page 2", "Handbook", "hb.pdf", 0.9),
    ScoredChunk(2, 11, 3, "Contractors follow their own contract.", "Contractors", "FAQ", "faq.md", 0.7),
]


@pytest.fixture
def server() -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer(REPLY, api_key=KEY) as s:
        yield s


def make(server: FakeAnthropicServer, **kwargs: Any) -> ClaudeChatModel:
    return ClaudeChatModel(KEY, base_url=server.base_url, model="claude-test", max_tokens=321, **kwargs)


def test_streaming_yields_the_deltas_in_order(server: FakeAnthropicServer) -> None:
    pieces = list(make(server).stream_answer("How much leave?", PASSAGES, []))
    assert pieces == split_deltas(REPLY)
    assert len(pieces) > 5
    assert "".join(pieces) == REPLY


def test_request_carries_system_prompt_and_delimited_sources(server: FakeAnthropicServer) -> None:
    list(make(server).stream_answer("How much leave?", PASSAGES, []))
    (request,) = server.message_requests()
    body = request.body
    assert body["stream"] is True
    assert body["model"] == "claude-test" and body["max_tokens"] == 321
    assert body["system"] == system_prompt()
    (message,) = body["messages"]
    assert message["role"] == "user"
    content = message["content"]
    assert '<source n="1" title="Handbook" location="page 2">\nEmployees receive 25 days' in content
    assert '<source n="2" title="FAQ" location="Contractors">' in content
    assert "<question>\nHow much leave?\n</question>" in content


def test_history_turns_become_prior_messages(server: FakeAnthropicServer) -> None:
    history = [Turn("user", "Hi"), Turn("assistant", "Hello! Ask me about the handbook.")]
    list(make(server).stream_answer("How much leave?", PASSAGES, history))
    messages = server.message_requests()[0].body["messages"]
    assert messages[:2] == [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! Ask me about the handbook."},
    ]
    assert messages[2]["role"] == "user" and "<sources>" in messages[2]["content"]


def test_condense_rewrites_follow_ups() -> None:
    def reply(body: dict[str, Any]) -> str:
        return "How many vacation days do contractors get?" if not body.get("stream") else "unused"

    with FakeAnthropicServer(reply, api_key=KEY) as server:
        model = make(server, condense_max_tokens=77)
        history = [Turn("user", "How many vacation days do I get?"), Turn("assistant", "25 days [1].")]
        assert model.condense("And contractors?", history) == "How many vacation days do contractors get?"
        (request,) = server.message_requests()
        assert request.body.get("stream") in (None, False)
        assert request.body["system"] == condense_system_prompt()
        assert request.body["max_tokens"] == 77
        content = request.body["messages"][0]["content"]
        assert "User: How many vacation days do I get?" in content and "And contractors?" in content


def test_condense_without_history_is_identity_and_offline(server: FakeAnthropicServer) -> None:
    assert make(server).condense("How much leave?", []) == "How much leave?"
    assert server.message_requests() == []


def test_rate_limit_is_retried_by_the_sdk(server: FakeAnthropicServer) -> None:
    server.fail_next(1, status=429)
    assert "".join(make(server).stream_answer("q", PASSAGES, [])) == REPLY
    assert len(server.message_requests()) == 2


def test_persistent_rate_limit_becomes_transient(server: FakeAnthropicServer) -> None:
    server.fail_next(10, status=429)
    with pytest.raises(TransientError, match="rate limited"):
        list(make(server, max_retries=2).stream_answer("q", PASSAGES, []))
    assert len(server.message_requests()) == 3


def test_overloaded_becomes_transient(server: FakeAnthropicServer) -> None:
    server.fail_next(10, status=529)
    with pytest.raises(TransientError, match="overloaded"):
        list(make(server, max_retries=0).stream_answer("q", PASSAGES, []))
    server.fail_next(10, status=500)
    with pytest.raises(TransientError):
        make(server, max_retries=0).condense("q", [Turn("user", "earlier")])


def test_error_event_mid_stream_becomes_transient(server: FakeAnthropicServer) -> None:
    server.error_mid_stream("overloaded_error")
    got: list[str] = []
    with pytest.raises(TransientError, match="interrupted"):
        for piece in make(server).stream_answer("q", PASSAGES, []):
            got.append(piece)
    assert got == split_deltas(REPLY)[:1]


def test_rejected_key_is_a_clear_permanent_error(server: FakeAnthropicServer) -> None:
    model = ClaudeChatModel("wrong-key", base_url=server.base_url)
    with pytest.raises(RagbotError, match="ANTHROPIC_API_KEY") as info:
        list(model.stream_answer("q", PASSAGES, []))
    assert not isinstance(info.value, TransientError)
    assert len(server.message_requests()) == 1


def test_bad_request_is_permanent(server: FakeAnthropicServer) -> None:
    server.fail_next(1, status=400)
    with pytest.raises(RagbotError, match="HTTP 400") as info:
        list(make(server).stream_answer("q", PASSAGES, []))
    assert not isinstance(info.value, TransientError)


def test_unreachable_api_is_transient() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model = ClaudeChatModel(KEY, base_url=f"http://127.0.0.1:{port}", max_retries=0)
    with pytest.raises(TransientError, match="Could not reach Claude"):
        list(model.stream_answer("q", PASSAGES, []))


def test_missing_key_is_reported_up_front() -> None:
    with pytest.raises(RagbotError, match="ANTHROPIC_API_KEY is not set"):
        ClaudeChatModel("")
