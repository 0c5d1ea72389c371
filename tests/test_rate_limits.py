"""Rate limits shared by every replica and kept across restarts: Redis when REDIS_URL is set, PostgreSQL otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from prometheus_client import REGISTRY

from ragbot.chat.service import ChatService
from ragbot.config import Settings
from ragbot.domain import Scope
from ragbot.ratelimit import RateLimited, SharedLimits
from ragbot.storage.db import make_engine
from ragbot.storage.ratelimit import PostgresRateStore
from ragbot.wiring import Services, build
from tests.fakes.providers import FakeChatModel, FakeEmbedder
from tests.support import free_port

SCOPE = Scope("slack:T1", "C1")


def _replica(settings: Settings) -> Services:
    """A separate process's services: its own engine, its own ChatService state."""
    return build(settings, embedder=FakeEmbedder(), chat=FakeChatModel())


@pytest.fixture(params=["postgres", "redis"])
def limited(request, clean_db, settings: Settings, redis_port: int) -> Iterator[Settings]:  # type: ignore[no-untyped-def]
    redis_url = None
    if request.param == "redis":
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter("ragbot:ratelimit:*"):
            client.delete(key)
    yield settings.model_copy(update={"redis_url": redis_url, "questions_per_minute": 3,
                                      "workspace_questions_per_minute": 5, "uploads_per_hour": 2})


def _asked(chat: ChatService, user: str) -> bool:
    return not chat.ask("When does the office open?", scope=SCOPE, user=user).refused


def test_a_users_limit_is_shared_by_replicas_and_survives_a_restart(limited: Settings) -> None:
    one, two = _replica(limited), _replica(limited)
    a, b = one.chat_service("slack"), two.chat_service("slack")
    assert [_asked(a, "U1"), _asked(b, "U1"), _asked(a, "U1")] == [True, True, True]
    refused = b.ask("again?", scope=SCOPE, user="U1")
    assert refused.refused and "try again in" in refused.answer.text
    restarted = _replica(limited).chat_service("slack")  # a new process: the count is still there
    assert not _asked(restarted, "U1")
    assert _asked(restarted, "U2")  # other users are not affected


def test_a_workspace_has_its_own_limit_across_users(limited: Settings) -> None:
    a, b = _replica(limited).chat_service("slack"), _replica(limited).chat_service("slack")
    answered = [_asked(a if i % 2 else b, f"U{i}") for i in range(7)]
    assert answered == [True] * 5 + [False] * 2
    other = Scope("slack:T2", "C1")
    assert not a.ask("hello?", scope=other, user="U1").refused  # another workspace counts apart


def test_uploads_have_their_own_hourly_limit(limited: Settings) -> None:
    chat = _replica(limited).chat_service("slack")
    for i in range(2):
        chat.add_file(scope=SCOPE, data=f"Note {i}: the office opens at nine.".encode(), filename=f"n{i}.md",
                      source_uri=f"n{i}.md", uploader="slack:U1")
    with pytest.raises(RateLimited, match="2 documents this hour"):
        chat.add_file(scope=SCOPE, data=b"Note 3.", filename="n3.md", source_uri="n3.md", uploader="slack:U1")
    chat.add_file(scope=SCOPE, data=b"Note 4.", filename="n4.md", source_uri="n4.md", uploader="slack:U2")
    assert _asked(chat, "U1")  # uploading does not use up questions


def _unavailable(store: str) -> float:
    return REGISTRY.get_sample_value("ragbot_rate_limit_unavailable_total", {"store": store}) or 0.0


def test_limits_fail_open_with_a_metric_when_redis_is_down(clean_db, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    down = settings.model_copy(update={"redis_url": f"redis://:pw@127.0.0.1:{free_port()}/0",
                                       "questions_per_minute": 1})
    chat = _replica(down).chat_service("slack")
    before = _unavailable("RedisRateStore")
    assert _asked(chat, "U1") and _asked(chat, "U1")  # over the limit, but answering matters more
    chat.add_file(scope=SCOPE, data=b"Note.", filename="n.md", source_uri="n.md", uploader="slack:U1")
    assert _unavailable("RedisRateStore") >= before + 3


def test_limits_fail_open_when_postgres_is_down() -> None:
    engine = make_engine(f"postgresql+psycopg://u:p@127.0.0.1:{free_port()}/x?connect_timeout=1")
    limits = SharedLimits(PostgresRateStore(engine), per_user=1, per_workspace=1, uploads_per_hour=1)
    before = _unavailable("PostgresRateStore")
    assert limits.question("s", "u") is None and limits.question("s", "u") is None
    limits.upload("s", "u")
    assert _unavailable("PostgresRateStore") >= before + 3
    engine.dispose()


def test_zero_turns_a_limit_off(clean_db, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    off = settings.model_copy(update={"questions_per_minute": 0, "workspace_questions_per_minute": 0})
    chat = _replica(off).chat_service("slack")
    assert all(_asked(chat, "U1") for _ in range(15))
