"""IngestQueue over Celery: the bot sends tasks by name, so it never imports the workers package."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from kombu.exceptions import KombuError
from kombu.exceptions import OperationalError as KombuOperationalError
from sqlalchemy.exc import SQLAlchemyError

from ragbot.config import Settings
from ragbot.errors import QueueUnavailable, RagbotError
from ragbot.storage.db import normalise_url, redact

_log = logging.getLogger(__name__)

QUEUE = "ragbot"  # our own queue name, so that Ragbot can share a Redis with other Celery apps
SQLA_PREFIX = "sqla+"

# What a down or unreachable broker raises: kombu wraps most, the rest come straight from the driver.
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    KombuOperationalError, KombuError, OSError, ConnectionError, TimeoutError, SQLAlchemyError,
)
try:  # redis is optional: the fallback broker does not need it
    import redis.exceptions

    _CONNECTION_ERRORS += (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
except ImportError:  # pragma: no cover
    pass


def broker_url(settings: Settings, database_url: str | None = None) -> str:
    """REDIS_URL when set; otherwise kombu's SQLAlchemy transport on Ragbot's own Postgres (no extra server)."""
    if settings.redis_url:
        return settings.redis_url
    if database_url is None:
        from ragbot.storage.db import database_url as configured_database_url

        database_url = configured_database_url(settings)
    return SQLA_PREFIX + normalise_url(database_url)


def is_fallback(url: str) -> bool:
    """True when the broker is the Postgres-backed fallback."""
    return url.startswith((SQLA_PREFIX, "sqlalchemy+"))


def transport_options(settings: Settings, url: str) -> dict[str, Any]:
    """Broker transport options: Redis redelivery timing, or a small engine for the Postgres fallback."""
    if is_fallback(url):
        # create_engine() keyword arguments; pre-ping survives a restarted embedded server.
        return {"pool_pre_ping": True, "pool_size": 2, "max_overflow": 2}
    vt = settings.visibility_timeout
    return {
        "visibility_timeout": vt,
        # Sweep for messages of dead workers often enough to matter for a short visibility timeout;
        # one cheap ZRANGE a minute at most in production.
        "unacked_restore_interval": max(1, min(60, vt // 20)),
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": 2,
        "socket_timeout": 10,
    }


def check_time_limits(settings: Settings) -> None:
    """Refuse soft >= hard >= visibility timeout: a redelivery must never overtake a task still running."""
    soft, hard, vt = settings.task_soft_time_limit, settings.task_time_limit, settings.visibility_timeout
    if not 0 < soft < hard < vt:
        raise RagbotError(
            f"Worker time limits must satisfy 0 < RAGBOT_TASK_SOFT_TIME_LIMIT ({soft}) < RAGBOT_TASK_TIME_LIMIT "
            f"({hard}) < RAGBOT_VISIBILITY_TIMEOUT ({vt}) seconds; otherwise Redis hands a running task to a "
            "second worker. Raise RAGBOT_VISIBILITY_TIMEOUT or lower the time limits."
        )
    if settings.stuck_after_seconds <= hard:
        _log.warning(
            "RAGBOT_STUCK_AFTER_SECONDS (%s) is not above RAGBOT_TASK_TIME_LIMIT (%s): the reconciler may re-send "
            "documents that are still being processed (harmless, but wasted work).",
            settings.stuck_after_seconds, hard,
        )


class CeleryQueue:
    """Sends tasks by name; a broker that cannot be reached raises QueueUnavailable within about two seconds."""

    def __init__(self, app: Celery, *, queue: str = QUEUE) -> None:
        self.app = app
        self.queue = queue

    @classmethod
    def from_settings(cls, settings: Settings, *, database_url: str | None = None) -> CeleryQueue:
        """A light sending-only Celery app for the configured broker."""
        url = broker_url(settings, database_url)
        app = Celery("ragbot-sender", broker=url, set_as_current=False)
        app.conf.update(
            broker_transport_options=transport_options(settings, url),
            broker_connection_timeout=2,
            # Fail fast: a chat handler must answer within seconds, and the reconciler re-sends later anyway.
            task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5,
                                       "interval_max": 0.5},
            task_default_queue=QUEUE,
            task_serializer="json",
        )
        return cls(app)

    def workers_online(self, timeout: float = 1.0) -> int | None:
        """How many workers answer a ping; None when the broker cannot say (the PostgreSQL fallback has no
        broadcast) or cannot be reached."""
        if is_fallback(str(self.app.conf.broker_url)):
            return None
        try:
            return len(self.app.control.ping(timeout=timeout) or [])
        except _CONNECTION_ERRORS:
            return None

    def enqueue(self, task_name: str, **kwargs: Any) -> None:
        """Queue a task by name; raises QueueUnavailable when the broker is down."""
        try:
            self.app.send_task(task_name, kwargs=kwargs, queue=self.queue)
        except _CONNECTION_ERRORS as exc:
            where = redact(str(self.app.conf.broker_url))
            _log.warning("broker %s unavailable for %s: %s", where, task_name, exc)
            raise QueueUnavailable(
                f"The task queue at {where} cannot be reached ({type(exc).__name__}); the work stays queued and "
                "is sent when the queue is back."
            ) from exc
