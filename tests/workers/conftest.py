"""Worker-test fixtures: a real Redis (started here if none runs on 6379), a claimed database number on it,
worker environments and worker subprocesses that are always stopped."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine

from tests.fakes.voyage_server import FakeVoyageServer
from tests.workers.support import WorkerProcess

CLAIM_KEY = "ragbot:test-claim"
# Variables of the developer's shell that would change which providers the worker picks.
_SCRUB = ("REDIS_URL", "DATABASE_URL", "VOYAGE_API_KEY", "ANTHROPIC_API_KEY", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN",
          "SLACK_SIGNING_SECRET", "DISCORD_TOKEN")


@pytest.fixture(scope="session")
def redis_db(redis_port: int) -> Iterator[int]:
    """A database number on that Redis claimed for this session, so parallel sessions never share a queue."""
    for db in range(15, 0, -1):
        client = redis.Redis(port=redis_port, db=db)
        if client.set(CLAIM_KEY, os.getpid(), nx=True, ex=1800):
            try:
                yield db
            finally:
                _wipe(client)
                client.delete(CLAIM_KEY)
            return
    pytest.skip("every Redis database number is claimed by another test session")


def _wipe(client: redis.Redis) -> None:
    for key in client.scan_iter(count=500):
        if key != CLAIM_KEY.encode():
            client.delete(key)


@pytest.fixture
def redis_client(redis_port: int, redis_db: int) -> redis.Redis:
    """A client on the claimed database, emptied of broker keys left by a previous test."""
    client = redis.Redis(port=redis_port, db=redis_db)
    _wipe(client)
    return client


@pytest.fixture
def redis_url(redis_client: redis.Redis, redis_port: int, redis_db: int) -> str:
    """REDIS_URL for the claimed database."""
    return f"redis://127.0.0.1:{redis_port}/{redis_db}"


@pytest.fixture
def worker_env(pg_url: str, redis_url: str, tmp_path: Path, clean_db: Engine) -> dict[str, str]:
    """Environment for a worker: the test database and Redis, the real local embedder, generous limits."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB and not k.startswith("RAGBOT_")}
    env.update({
        "DATABASE_URL": pg_url, "REDIS_URL": redis_url, "RAGBOT_DATA_DIR": str(tmp_path / "data"),
        "RAGBOT_EMBEDDER": "local", "RAGBOT_CHAT_MODEL": "extractive",
        "RAGBOT_TASK_SOFT_TIME_LIMIT": "30", "RAGBOT_TASK_TIME_LIMIT": "40", "RAGBOT_VISIBILITY_TIMEOUT": "60",
        "RAGBOT_METRICS_PORT": "0", "PYTHONUNBUFFERED": "1",
    })
    return env


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Factory for worker subprocesses; each is stopped (or killed) when the test ends."""
    started: list[WorkerProcess] = []

    def start(env: dict[str, str], **kwargs: object) -> WorkerProcess:
        worker = WorkerProcess(env, tmp_path / f"worker-{len(started)}.log", **kwargs)  # type: ignore[arg-type]
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.kill()  # a warm shutdown takes seconds and proves nothing here; the next test wipes the queue
    time.sleep(0.2)  # let Postgres notice the closed connections before the next test truncates


class SlowVoyageServer(FakeVoyageServer):
    """The fake Voyage API with a fixed latency, so that a run of small documents takes long enough to interrupt."""

    delay = 0.0

    def respond(self, request):  # type: ignore[no-untyped-def]
        if self.delay:
            time.sleep(self.delay)
        return super().respond(request)


@pytest.fixture
def voyage() -> Iterator[SlowVoyageServer]:
    """A running fake Voyage API."""
    with SlowVoyageServer() as server:
        yield server


@pytest.fixture
def voyage_env(worker_env: dict[str, str], voyage: SlowVoyageServer) -> dict[str, str]:
    """Worker environment that embeds through the real Voyage client against the fake API."""
    return {**worker_env, "RAGBOT_EMBEDDER": "voyage", "VOYAGE_API_KEY": "test-key",
            "RAGBOT_VOYAGE_BASE_URL": voyage.base_url}
