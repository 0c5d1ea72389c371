"""How the Celery app is configured from Settings (no side effects at import, so tests can build one)."""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta

from celery import Celery

from ragbot.config import Settings
from ragbot.providers.celery_queue import QUEUE, broker_url, check_time_limits, transport_options

TASKS_MODULE = "ragbot.workers.tasks"


def reconcile_interval(settings: Settings) -> float:
    """How often beat runs the reconciler: a quarter of the stuck threshold, at most once a minute."""
    return float(max(1, min(60, settings.stuck_after_seconds // 4)))


def make_app(settings: Settings) -> Celery:
    """A Celery app for these settings; raises RagbotError when the time limits are unsafe."""
    check_time_limits(settings)
    url = broker_url(settings)
    with suppress(OSError):  # a read-only data dir only matters to beat, which then says so itself
        settings.data_dir.mkdir(parents=True, exist_ok=True)  # beat keeps its schedule file there
    app = Celery("ragbot", broker=url, include=[TASKS_MODULE])
    app.conf.update(
        # Crash safety: a message is acknowledged only after its task finished, and a task whose worker
        # process died goes back to the queue instead of being dropped.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # an ingest can take minutes: do not hoard messages another worker could run
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_time_limit,
        broker_transport_options=transport_options(settings, url),
        broker_connection_retry_on_startup=True,
        task_default_queue=QUEUE,
        task_ignore_result=True,  # Postgres holds document state; there is no result backend to fill
        task_serializer="json",
        accept_content=["json"],
        worker_max_tasks_per_child=200,  # bounds memory creep from parsers over a long-lived worker
        beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
        beat_schedule={
            "reconcile": {"task": "ragbot.reconcile", "schedule": timedelta(seconds=reconcile_interval(settings))},
            "prune": {"task": "ragbot.prune", "schedule": timedelta(days=1)},
            "resync-urls": {"task": "ragbot.resync_urls", "schedule": timedelta(minutes=settings.url_resync_minutes)},
            "resync-sites": {"task": "ragbot.resync_sites", "schedule": timedelta(minutes=settings.url_resync_minutes)},
        },
    )
    return app

