"""A per-user question rate limit (sliding window, in process memory)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable


class RateLimiter:
    """Allows at most `limit` events per user in `window` seconds."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Record an attempt; False when the user is over the limit (the attempt is not counted)."""
        if self.limit <= 0:
            return True
        now = self.clock()
        with self._lock:
            q = self._events[key]
            while q and now - q[0] >= self.window:
                q.popleft()
            if len(q) >= self.limit:
                return False
            q.append(now)
            return True

    def retry_after(self, key: str) -> float:
        """Seconds until the user may ask again."""
        with self._lock:
            q = self._events.get(key)
            if not q or len(q) < self.limit:
                return 0.0
            return max(0.0, self.window - (self.clock() - q[0]))


def slow_down_message(seconds: float) -> str:
    """The friendly text shown to a user over the limit."""
    return f"You're asking faster than I can keep up. Please try again in {max(1, round(seconds))} seconds."
