"""OpenAIChatModel against a local fake of the chat-completions API, through the real openai SDK."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from ragbot.domain import ScoredChunk, Turn
from ragbot.errors import RagbotError, TransientError
from ragbot.prompts import build_messages, condense_system_prompt, system_prompt
from ragbot.providers.openai_chat import PLACEHOLDER_KEY, OpenAIChatModel, estimate_tokens
from ragbot.providers.openai_errors import NotOpenAIShaped
from ragbot.providers.openai_stream import CUT_SHORT, INTERRUPTED
from tests.fakes.anthropic_server import split_deltas
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support import free_port

MODEL = "llama3.1:8b"
REPLY = "Employees get 25 days of paid leave [1]. Contractors are not covered [2]."
PASSAGES = [
    ScoredChunk(1, 10, 0, "Employees receive 25 days of paid annual leave.", "page 2", "Handbook", "hb.pdf", 0.9),
    ScoredChunk(2, 11, 3, "Contractors follow their own contract.", "Contractors", "FAQ", "faq.md", 0.7),
]


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(REPLY, models=(MODEL,)) as s:
        yield s


def make(server: FakeOpenAIServer, **kwargs: Any) -> OpenAIChatModel:
    options: dict[str, Any] = {"base_url": server.base_url, "model": MODEL, "max_tokens": 321, **kwargs}
    return OpenAIChatModel(**options)


def answer(model: OpenAIChatModel, question: str = "How much leave?") -> str:
    return "".join(model.stream_answer(question, PASSAGES, []))


def test_streaming_yields_the_deltas_in_order(server: FakeOpenAIServer) -> None:
    pieces = list(make(server).stream_answer("How much leave?", PASSAGES, []))
    assert pieces == split_deltas(REPLY)
    assert len(pieces) > 5


def test_request_is_the_claude_prompt_as_chat_messages(server: FakeOpenAIServer) -> None:
    history = [Turn("user", "Hi"), Turn("assistant", "Hello! Ask me about the handbook.")]
    list(make(server).stream_answer("How much leave?", PASSAGES, history))
    (request,) = server.chat_requests()
    body = request.body
    assert body["stream"] is True and body["model"] == MODEL and body["max_tokens"] == 321
    assert body["messages"][0] == {"role": "system", "content": system_prompt()}
    assert body["messages"][1:] == build_messages("How much leave?", PASSAGES, history)
    latest = body["messages"][-1]["content"]
    assert '<source n="1" title="Handbook" location="page 2">\nEmployees receive 25 days' in latest
    assert "<question>\nHow much leave?\n</question>" in latest
    assert "tools" not in body  # sources are data: the model gets nothing to act with


def test_sdk_never_reads_openai_settings_from_the_environment(server: FakeOpenAIServer,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # A host that also talks to OpenAI: none of this may reach (or redirect) the self-hosted server's requests.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-openai-key")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-secret")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-secret")
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "X-Gateway-Token: gw-secret\nAuthorization: Bearer sk-header")
    assert answer(make(server)) == REPLY
    headers = server.chat_requests()[-1].headers
    assert headers["authorization"] == f"Bearer {PLACEHOLDER_KEY}"
    assert "openai-organization" not in headers and "openai-project" not in headers
    assert "x-gateway-token" not in headers
    assert answer(make(server, api_key="vllm-key")) == REPLY
    assert server.chat_requests()[-1].headers["authorization"] == "Bearer vllm-key"


def test_condense_rewrites_follow_ups_without_streaming() -> None:
    def reply(body: dict[str, Any]) -> str:
        return "How many vacation days do contractors get?" if not body.get("stream") else "unused"

    with FakeOpenAIServer(reply, models=(MODEL,)) as server:
        history = [Turn("user", "How many vacation days do I get?"), Turn("assistant", "25 days [1].")]
        assert make(server).condense("And contractors?", history) == "How many vacation days do contractors get?"
        (request,) = server.chat_requests()
        assert request.body.get("stream") in (None, False) and request.body["max_tokens"] == 200
        assert request.body["messages"][0] == {"role": "system", "content": condense_system_prompt()}
        assert "User: How many vacation days do I get?" in request.body["messages"][1]["content"]


def test_condense_without_history_is_identity_and_offline(server: FakeOpenAIServer) -> None:
    assert make(server).condense("How much leave?", []) == "How much leave?"
    assert server.chat_requests() == []


def long_history(chars: int) -> list[Turn]:
    """Ten turns, numbered so that a test can tell which survived."""
    return [Turn("user" if i % 2 == 0 else "assistant", f"turn {i} " + "leave policy words " * (chars // 19))
            for i in range(10)]


def test_history_that_fits_the_context_is_sent_whole(server: FakeOpenAIServer) -> None:
    list(make(server).stream_answer("How much leave?", PASSAGES, long_history(600)))
    messages = server.chat_requests()[0].body["messages"]
    assert len(messages) == 12 and messages[1]["content"].startswith("turn 0 ")


def test_oldest_turns_are_left_out_to_fit_a_small_context(server: FakeOpenAIServer) -> None:
    model = make(server, context_tokens=4096)  # an untuned Ollama; max_tokens=321 is kept free for the answer
    list(model.stream_answer("How much leave?", PASSAGES, long_history(2000)))
    messages = server.chat_requests()[0].body["messages"]
    assert estimate_tokens(messages) + 321 <= 4096
    assert 2 < len(messages) < 12  # some history survives, not all of it
    assert messages[-2]["content"].startswith("turn 9 ")  # the newest turns are the ones kept
    assert "<sources>" in messages[-1]["content"] and "How much leave?" in messages[-1]["content"]
    model.condense("And contractors?", long_history(2000))
    transcript = server.chat_requests()[1].body["messages"][-1]["content"]
    assert "turn 9 " in transcript and "turn 0 " not in transcript


def test_reasoning_models_think_blocks_are_not_shown() -> None:
    with FakeOpenAIServer("<think>\nThe user wants leave. Source 1 says 25.\n</think>\n\n" + REPLY,
                          models=(MODEL,)) as server:
        assert answer(make(server)) == REPLY
        assert make(server).condense("And contractors?", [Turn("user", "Leave?")]) == REPLY


def test_rate_limit_is_retried(server: FakeOpenAIServer) -> None:
    server.fail_next(1, status=429)
    assert answer(make(server)) == REPLY
    assert len(server.chat_requests()) == 2


def test_retries_back_off_without_retry_after(server: FakeOpenAIServer) -> None:
    server.fail_next(2, status=503, retry_after_ms=None)
    started = time.monotonic()
    assert answer(make(server)) == REPLY
    # Exponential backoff: about 0.5 s then 1 s (less up to 25% jitter) before the third attempt.
    assert time.monotonic() - started >= 1.1
    assert len(server.chat_requests()) == 3


def test_persistent_rate_limit_becomes_transient(server: FakeOpenAIServer) -> None:
    server.fail_next(10, status=429)
    with pytest.raises(TransientError, match="rate limited"):
        answer(make(server, max_retries=2))
    assert len(server.chat_requests()) == 3


def test_server_errors_become_transient(server: FakeOpenAIServer) -> None:
    server.fail_next(10, status=500)
    with pytest.raises(TransientError, match=r"overloaded or failing \(HTTP 500\)"):
        answer(make(server, max_retries=0))
    with pytest.raises(TransientError):
        make(server, max_retries=0).condense("q", [Turn("user", "earlier")])


def test_unknown_model_on_ollama_says_to_pull_it(server: FakeOpenAIServer) -> None:
    with pytest.raises(RagbotError) as info:
        answer(make(server, model="llama3"))
    message = str(info.value)
    assert not isinstance(info.value, TransientError) and "\n" not in message
    assert "'llama3'" in message and "`ollama pull llama3`" in message and "RAGBOT_OPENAI_MODEL" in message
    assert len(server.chat_requests()) == 1  # a 404 is not retried


def test_unknown_model_elsewhere_names_the_setting_and_the_model_list() -> None:
    with (FakeOpenAIServer(REPLY, models=("Qwen/Qwen2.5-7B-Instruct",), flavor="vllm") as server,
          pytest.raises(RagbotError) as info):
        answer(make(server, model="qwen"))
    message = str(info.value)
    assert "'qwen'" in message and "RAGBOT_OPENAI_MODEL" in message and "/v1/models" in message
    assert "ollama" not in message


def test_refused_key_names_the_setting() -> None:
    with FakeOpenAIServer(REPLY, models=(MODEL,), api_key="right-key", flavor="vllm") as server:
        for key, state in ((None, "unset"), ("wrong-key", "wrong")):
            with pytest.raises(RagbotError) as info:
                answer(make(server, api_key=key))
            assert not isinstance(info.value, TransientError)
            assert f"RAGBOT_OPENAI_API_KEY is {state}" in str(info.value) and "HTTP 401" in str(info.value)
        assert answer(make(server, api_key="right-key")) == REPLY


def test_unreachable_server_names_the_url_and_the_setting() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(TransientError) as info:
        answer(OpenAIChatModel(base_url=url, model=MODEL, max_retries=0))
    assert url in str(info.value) and "RAGBOT_OPENAI_BASE_URL" in str(info.value)
    assert "\n" not in str(info.value)


def test_a_server_that_goes_quiet_times_out_clearly() -> None:
    with FakeOpenAIServer(REPLY, models=(MODEL,), delta_delay=3.0) as server:
        model = make(server, timeout=0.3, max_retries=0)
        started = time.monotonic()
        with pytest.raises(TransientError, match="went quiet for longer than RAGBOT_OPENAI_TIMEOUT_SECONDS"):
            answer(model)
        assert time.monotonic() - started < 2.0  # the read timeout, not the server's 3 s pause, ended the wait


def test_base_url_without_v1_is_reported_as_not_openai(server: FakeOpenAIServer) -> None:
    with pytest.raises(NotOpenAIShaped, match="ends in /v1"):
        answer(make(server, base_url=server.base_url.removesuffix("/v1")))


@pytest.mark.parametrize("mode", ["html", "not_json", "json"])
def test_replies_that_are_not_openai_shaped_say_so(server: FakeOpenAIServer, mode: str) -> None:
    server.mode = mode  # type: ignore[assignment]
    with pytest.raises(NotOpenAIShaped, match="did not answer like an OpenAI-compatible API"):
        answer(make(server))


def test_stream_that_breaks_off_keeps_the_text_and_adds_a_notice(server: FakeOpenAIServer) -> None:
    server.mode = "cut"
    text = answer(make(server))
    assert text.startswith("".join(split_deltas(REPLY)[:3])) and text.endswith(INTERRUPTED)


def test_error_event_mid_stream_keeps_the_text_and_adds_a_notice(server: FakeOpenAIServer) -> None:
    server.mode = "error_event"
    assert answer(make(server)) == split_deltas(REPLY)[0] + "\n\n" + INTERRUPTED


def test_length_limit_adds_a_notice(server: FakeOpenAIServer) -> None:
    server.mode = "length"
    assert answer(make(server)) == REPLY + "\n\n" + CUT_SHORT


def test_reasoning_that_uses_up_the_tokens_says_which_setting_to_raise() -> None:
    with FakeOpenAIServer("<think>First, consider what leave means. " * 20, models=(MODEL,)) as server:
        server.mode = "length"
        with pytest.raises(RagbotError, match=r"used all RAGBOT_OPENAI_MAX_TOKENS \(321\) before writing any answer"):
            answer(make(server))


def test_empty_stream_is_an_error_not_a_blank_answer(server: FakeOpenAIServer) -> None:
    server.mode = "empty"
    with pytest.raises(TransientError, match="empty answer"):
        answer(make(server))


def test_check_finds_the_model_and_ollamas_latest_tag() -> None:
    with FakeOpenAIServer(REPLY, models=("llama3.1:latest", "qwen3:8b")) as server:
        assert "llama3.1 at" in make(server, model="llama3.1").check()
        assert "2 models served" in make(server, model="qwen3:8b").check()
        with pytest.raises(RagbotError, match=r"ollama pull mistral.*Served: llama3.1:latest, qwen3:8b"):
            make(server, model="mistral").check()


def test_check_on_another_server_names_the_setting_not_ollama() -> None:
    with FakeOpenAIServer(REPLY, models=("Qwen/Qwen2.5-7B-Instruct",), flavor="vllm") as server, \
            pytest.raises(RagbotError) as info:
        make(server, model="qwen").check()
    assert "RAGBOT_OPENAI_MODEL" in str(info.value) and "Served: Qwen/Qwen2.5-7B-Instruct" in str(info.value)
    assert "ollama" not in str(info.value)


def test_missing_settings_are_reported_up_front() -> None:
    with pytest.raises(RagbotError, match="RAGBOT_OPENAI_BASE_URL is not set"):
        OpenAIChatModel(base_url=None, model=MODEL)
    with pytest.raises(RagbotError, match="RAGBOT_OPENAI_MODEL is not set"):
        OpenAIChatModel(base_url="http://localhost:11434/v1", model="")
