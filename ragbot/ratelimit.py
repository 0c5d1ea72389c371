"""Rate limits shared by every replica: questions per user and per workspace, uploads per user; fail open."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Protocol

from ragbot.errors import RagbotError
from ragbot.observability import metrics

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ragbot.config import Settings

_log = logging.getLogger(__name__)
_WARN_EVERY = 60.0  # seconds between log warnings while the store is down (the metric counts every one)


class RateStore(Protocol):
    """Where counts live (Redis or PostgreSQL)."""

    def hit(self, key: str, limit: int, window: int) -> float | None:
        """Count one attempt; None when allowed, else the seconds until the key's window ends."""
        ...


class RateLimited(RagbotError):
    """Over a limit; the message says when to try again."""


class SharedLimits:
    """The limits a chat service applies; every check fails open when the store cannot be reached."""

    def __init__(self, store: RateStore, *, per_user: int, per_workspace: int, uploads_per_hour: int) -> None:
        self.store = store
        self.per_user = per_user
        self.per_workspace = per_workspace
        self.uploads_per_hour = uploads_per_hour
        self._warned = 0.0

    def question(self, space: str, user: str) -> float | None:
        """Count a question; None when it may be answered, else seconds to wait (user first, then workspace)."""
        wait = self._hit(f"q:u:{space}:{user}", self.per_user, 60)
        if wait is None:
            wait = self._hit(f"q:w:{space}", self.per_workspace, 60)
        return wait

    def upload(self, space: str, user: str) -> None:
        """Count an upload (a file or a link); raises RateLimited past the hourly limit."""
        wait = self._hit(f"up:u:{space}:{user}", self.uploads_per_hour, 3600)
        if wait is not None:
            minutes = max(1, round(wait / 60))
            raise RateLimited(
                f"You have added {self.uploads_per_hour} documents this hour, the limit. "
                f"Please try again in {minutes} minute{'s' if minutes != 1 else ''}."
            )

    def _hit(self, key: str, limit: int, window: int) -> float | None:
        if limit <= 0:
            return None  # 0 turns a limit off
        try:
            return self.store.hit(key, limit, window)
        except Exception as exc:  # noqa: BLE001 - any store failure: answering matters more than limiting
            metrics.rate_limit_unavailable(type(self.store).__name__)
            now = time.monotonic()
            if now - self._warned > _WARN_EVERY:
                self._warned = now
                _log.warning("rate limits not enforced: the store cannot be reached (%s: %s)", type(exc).__name__, exc)
            return None


def make_limits(settings: Settings, engine: Engine) -> SharedLimits:
    """Redis counters when REDIS_URL is set, PostgreSQL ones otherwise."""
    store: RateStore
    if settings.redis_url:
        from ragbot.providers.redis_ratelimit import RedisRateStore

        store = RedisRateStore(settings.redis_url)
    else:
        from ragbot.storage.ratelimit import PostgresRateStore

        store = PostgresRateStore(engine)
    return SharedLimits(store, per_user=settings.questions_per_minute,
                        per_workspace=settings.workspace_questions_per_minute,
                        uploads_per_hour=settings.uploads_per_hour)
