"""Rate-limit counters in Redis: one fixed window per key, checked and counted in one Lua call."""

from __future__ import annotations

from typing import Any

# Over the limit: minus the milliseconds left in the window (refused attempts are not counted). Otherwise count
# the attempt; the first one of a window starts its expiry.
_SCRIPT = """
local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
if hits >= tonumber(ARGV[1]) then
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) left = tonumber(ARGV[2]) end
  return -left
end
hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return hits
"""
PREFIX = "ragbot:ratelimit:"


class RedisRateStore:
    """Counters in Redis (REDIS_URL): shared by every replica; short timeouts so an outage costs little."""

    def __init__(self, url: str, *, timeout: float = 0.5) -> None:
        import redis

        self.client: Any = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        self._script = self.client.register_script(_SCRIPT)

    def hit(self, key: str, limit: int, window: int) -> float | None:
        """Count one attempt; None when allowed, else the seconds until the key's window ends."""
        result = int(self._script(keys=[PREFIX + key], args=[limit, window * 1000]))
        return None if result > 0 else -result / 1000
