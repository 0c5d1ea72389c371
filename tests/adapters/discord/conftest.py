"""Fixtures for driving the real discord.py client against the fake Discord server."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import discord
import pytest
from discord.ext import commands
from sqlalchemy import text

from ragbot.adapters.discord.client import RagbotBot
from ragbot.adapters.status import status_updaters
from ragbot.domain import Scope
from ragbot.ingestion import intake
from ragbot.ingestion.pipeline import ingest_document
from ragbot.wiring import Services, build
from tests.fakes.discord_server import GUILD_ID, FakeDiscord
from tests.fakes.providers import FakeChatModel, FakeEmbedder

SPACE = f"discord:{GUILD_ID}"


class ThreadQueue:
    """An IngestQueue that runs the real pipeline in a thread, as a worker would."""

    def __init__(self) -> None:
        self.services: Services | None = None
        self.threads: list[threading.Thread] = []

    def enqueue(self, task_name: str, **kwargs: Any) -> None:
        assert task_name == "ragbot.ingest_document" and self.services is not None
        thread = threading.Thread(target=ingest_document, args=(self.services.ingest, kwargs["document_id"]))
        thread.start()
        self.threads.append(thread)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDiscord]:
    """The fake Discord, with discord.py's REST base and gateway pointed at it."""
    server = FakeDiscord().start()
    monkeypatch.setattr(discord.http.Route, "BASE", server.base_url)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", server.gateway_url)
    yield server
    server.stop()


@pytest.fixture
def chat_model() -> Any:
    """The answering model; tests may override this fixture."""
    return FakeChatModel()


@pytest.fixture
def services(clean_db, settings, fake, chat_model) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    """Services on a clean database whose notifier edits status messages on the fake Discord."""
    s = settings.model_copy(update={"discord_token": "test-token", "discord_api_base_url": fake.base_url,
                                    "discord_edit_interval": 0.05, "questions_per_minute": 100})
    queue = ThreadQueue()
    svc = build(s, embedder=FakeEmbedder(), chat=chat_model, queue=queue, status_updaters=status_updaters(s))
    queue.services = svc
    yield svc
    for thread in queue.threads:
        thread.join(30)
    svc.engine.dispose()


def add_document(svc: Services, body: str, *, name: str = "handbook.md", channel: str | None = None) -> int:
    """Index a document straight into the guild's space (or one channel of it)."""
    accepted = intake.add_file(svc.engine, scope=Scope(SPACE, channel), data=body.encode(), filename=name,
                               source_uri=f"discord:upload/{name}", max_bytes=10**6)
    assert ingest_document(svc.ingest, accepted.document_id).status == "ready"
    return accepted.document_id


def document_status(svc: Services, doc_id: int) -> str:
    """A document's state in the database."""
    with svc.engine.connect() as conn:
        return conn.execute(text("SELECT status FROM documents WHERE id = :i"), {"i": doc_id}).scalar_one()


def make_bot(svc: Services) -> RagbotBot:
    """The standalone bot on the test services (quick on_ready)."""
    return RagbotBot(svc.use_cases("discord"), svc.settings, guild_ready_timeout=0.05)


@contextlib.asynccontextmanager
async def running(bot: commands.Bot, fake: FakeDiscord) -> AsyncIterator[commands.Bot]:
    """Log the real client in (REST login, gateway HELLO → IDENTIFY → READY) and close it afterwards."""
    task = asyncio.create_task(bot.start("test-token"))

    def ready() -> bool:
        if task.done():
            raise task.exception() or RuntimeError("bot stopped")
        return bot.is_ready()

    await fake.wait_for(ready, timeout=20, what="READY")
    try:
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)


def run(coro: Any) -> Any:
    """Run a scenario on a fresh event loop."""
    return asyncio.run(asyncio.wait_for(coro, 120))
