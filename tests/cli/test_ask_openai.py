"""`ragbot ask --json` with RAGBOT_CHAT_MODEL=openai: a subprocess, the real local embedder, a fake Ollama."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.openai_server import FakeOpenAIServer
from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
MODEL = "llama3.1:8b"


def reply(body: dict[str, Any]) -> str:
    """Cite the source that holds "25 vacation days", plus a marker that points at no passage."""
    sources = re.findall(r'<source n="(\d+)"[^>]*>\n(.*?)\n</source>', body["messages"][-1]["content"], re.S)
    n = next(n for n, text in sources if "25 vacation days" in text)
    return f"Full-time employees get 25 vacation days per calendar year [{n}]. Ask HR for more [9]."


@pytest.fixture
def llm() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(reply, models=(MODEL,)) as server:
        yield server


@pytest.fixture
def run(clean_db, pg_url: str, tmp_path: Path, llm: FakeOpenAIServer):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAGBOT_", "VOYAGE", "ANTHROPIC", "OPENAI"))}
    env.update(DATABASE_URL=pg_url, RAGBOT_DATA_DIR=str(tmp_path), RAGBOT_CHAT_MODEL="openai",
               RAGBOT_OPENAI_BASE_URL=llm.base_url, RAGBOT_OPENAI_MODEL=MODEL,
               # A host also set up for OpenAI itself: Ragbot must not send this key, nor go to this URL.
               OPENAI_API_KEY="sk-openai-account-key", OPENAI_BASE_URL=f"http://127.0.0.1:{free_port()}/v1")
    corpus = tmp_path / "corpus" / "handbook"
    corpus.mkdir(parents=True)
    shutil.copy(ROOT / "samples" / "handbook" / "leave.md", corpus)

    def _run(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ragbot.cli", *args], capture_output=True, text=True,
                              env={**env, **extra_env}, cwd=ROOT, timeout=300)

    ingested = _run("ingest", str(corpus.parent))
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    return _run


def test_ask_json_is_grounded_with_citations(run, llm: FakeOpenAIServer) -> None:
    out = run("ask", "How many vacation days do full-time employees get per year?", "--json")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["grounded"] is True and "25 vacation days" in answer["answer"]
    (citation,) = answer["citations"]  # [9] points at no passage: it is no citation, and is dropped from the text
    assert "[9]" not in answer["answer"] and "Ask HR for more" in answer["answer"]
    assert citation["source"].endswith("handbook/leave.md") and f"[{citation['n']}]" in answer["answer"]
    (request,) = llm.chat_requests()
    assert request.body["model"] == MODEL and request.body["stream"] is True
    assert request.headers["authorization"] != "Bearer sk-openai-account-key"


def test_ask_with_a_model_not_pulled_fails_in_one_line(run) -> None:
    out = run("ask", "How many vacation days do full-time employees get per year?", "--json",
              RAGBOT_OPENAI_MODEL="llama3.2")
    assert out.returncode != 0 and out.stdout == ""
    (line,) = out.stderr.strip().splitlines()
    assert "ollama pull llama3.2" in line and "RAGBOT_OPENAI_MODEL" in line
