"""Rate-limit counters in PostgreSQL: one window per key from its first hit, counted atomically."""

from __future__ import annotations

from sqlalchemy import Engine, text

# One statement: a window starts at a key's first hit and lasts :w seconds (as in Redis, so a burst is never split
# by a clock boundary); within it a hit counts only while under the limit, so refused attempts are not counted. No
# row back means the key is over its limit. The server's clock is the one clock all replicas share.
_HIT = text(
    "INSERT INTO rate_limits AS r (key, window_start, hits)"
    " VALUES (:k, extract(epoch FROM clock_timestamp()), 1)"
    " ON CONFLICT (key) DO UPDATE SET"
    "  hits = CASE WHEN EXCLUDED.window_start >= r.window_start + :w THEN 1 ELSE r.hits + 1 END,"
    "  window_start = CASE WHEN EXCLUDED.window_start >= r.window_start + :w"
    "                 THEN EXCLUDED.window_start ELSE r.window_start END"
    " WHERE EXCLUDED.window_start >= r.window_start + :w OR r.hits < :limit"
    " RETURNING hits"
)
_WAIT = text("SELECT window_start + :w - extract(epoch FROM clock_timestamp()) FROM rate_limits WHERE key = :k")


class PostgresRateStore:
    """Counters in the rate_limits table; shared by every replica and kept across restarts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def hit(self, key: str, limit: int, window: int) -> float | None:
        """Count one attempt; None when allowed, else the seconds until the key's window ends."""
        with self.engine.begin() as conn:
            if conn.execute(_HIT, {"k": key, "w": window, "limit": limit}).first() is not None:
                return None
            wait = conn.execute(_WAIT, {"k": key, "w": window}).scalar()
        return max(0.0, float(wait or 0.0))
