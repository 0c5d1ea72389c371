"""`ragbot health` checks the chat model: an OpenAI-compatible server must answer and serve the configured model."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from ragbot.config import Settings
from ragbot.health import run_checks
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support import free_port


@pytest.fixture
def ollama() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(models=("llama3.1:8b", "nomic-embed-text:latest")) as s:
        yield s


def chat_check(**settings: object) -> tuple[bool, str]:
    (result,) = run_checks(Settings(anthropic_api_key=None, **settings), ["chat"])  # type: ignore[arg-type]
    return result.ok, result.detail


def test_offline_answerer_needs_no_probe() -> None:
    assert chat_check(chat_model="extractive") == (True, "extractive (offline, nothing to reach)")


def test_openai_server_serving_the_model_passes(ollama: FakeOpenAIServer) -> None:
    ok, detail = chat_check(chat_model="auto", openai_base_url=ollama.base_url, openai_model="llama3.1:8b")
    assert ok, detail
    assert detail == f"llama3.1:8b at {ollama.base_url} (2 models served)"
    assert [r.path for r in ollama.requests] == ["/v1/models"]  # a probe writes no answer


def test_missing_model_fails_with_the_pull_command(ollama: FakeOpenAIServer) -> None:
    ok, detail = chat_check(chat_model="openai", openai_base_url=ollama.base_url, openai_model="llama3.2")
    assert not ok
    assert "ollama pull llama3.2" in detail and "llama3.1:8b" in detail


def test_unreachable_server_and_missing_settings_fail_naming_the_setting() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    ok, detail = chat_check(chat_model="openai", openai_base_url=url, openai_model="m")
    assert not ok and url in detail and "RAGBOT_OPENAI_BASE_URL" in detail
    ok, detail = chat_check(chat_model="openai", openai_model="m")
    assert not ok and "RAGBOT_OPENAI_BASE_URL is not set" in detail


def test_cli_exits_non_zero_when_the_key_is_refused() -> None:
    with FakeOpenAIServer(models=("m",), api_key="right", flavor="vllm") as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RAGBOT_", "ANTHROPIC", "OPENAI"))}
        env.update(RAGBOT_CHAT_MODEL="openai", RAGBOT_OPENAI_BASE_URL=server.base_url, RAGBOT_OPENAI_MODEL="m",
                   RAGBOT_OPENAI_API_KEY="wrong-secret-key", OPENAI_API_KEY="right")
        out = subprocess.run([sys.executable, "-m", "ragbot.cli", "health", "--only", "chat"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stdout + out.stderr
    assert out.stdout.startswith("FAIL chat") and "RAGBOT_OPENAI_API_KEY is wrong" in out.stdout
    assert "wrong-secret-key" not in out.stdout + out.stderr
