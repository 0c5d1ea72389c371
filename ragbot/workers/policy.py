"""Which failures a task retries, and how long it waits between attempts."""

from __future__ import annotations

import random

import psycopg
from sqlalchemy.exc import OperationalError

from ragbot.errors import DatabaseUnavailable, TransientError

# Worth another attempt: provider 429/5xx and timeouts (TransientError), and a lost database connection
# (SQLAlchemy wraps most; the raw-psycopg COPY and cache writes raise psycopg's own).
RETRYABLE: tuple[type[BaseException], ...] = (
    TransientError, OperationalError, psycopg.OperationalError, DatabaseUnavailable,
)
MAX_RETRIES = 10
RETRY_BASE_SECONDS = 1.0
RETRY_CAP_SECONDS = 300.0


def backoff(retries: int, *, visibility_timeout: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: base·2^n capped, scaled by a random factor in [0.5, 1)."""
    # Stay well under the visibility timeout: Redis would redeliver a countdown longer than that.
    cap = min(RETRY_CAP_SECONDS, visibility_timeout / 2)
    ceiling = min(cap, RETRY_BASE_SECONDS * 2 ** max(0, retries))
    return ceiling * (0.5 + (rng or random).random() / 2)
