"""Uploads nobody picks up: the start-up probe asks real workers over the real Redis broker."""

from __future__ import annotations

from ragbot.chat.pickup import no_worker_warning
from ragbot.config import Settings
from ragbot.providers.celery_queue import CeleryQueue


def test_the_probe_warns_without_a_worker_and_is_quiet_with_one(worker_env, redis_url, start_worker) -> None:
    queue = CeleryQueue.from_settings(Settings(redis_url=redis_url, database_url=worker_env["DATABASE_URL"]))
    assert queue.workers_online(timeout=0.5) == 0
    warning = no_worker_warning(queue, timeout=0.5)
    assert warning is not None and "ragbot worker" in warning
    start_worker(worker_env, concurrency=1)
    assert queue.workers_online(timeout=2.0) == 1
    assert no_worker_warning(queue, timeout=2.0) is None


def test_the_postgres_fallback_broker_cannot_be_asked_so_nothing_is_claimed(pg_url) -> None:
    queue = CeleryQueue.from_settings(Settings(redis_url=None, database_url=pg_url))
    assert queue.workers_online(timeout=0.5) is None
    assert no_worker_warning(queue) is None
