"""Per-client rate limits: token buckets, in process or shared through Redis.

In process (the default, nothing to install) means per server worker: with N uvicorn workers a client
gets up to N x its rate. With ``PADIS_RATE_LIMIT_URL=redis://host:6379/0`` every worker (and every node
using that server) shares one bucket per client, updated atomically by a Lua script on the server's
clock. If Redis cannot be reached the limiter lets requests through and logs it (at most once a
minute): a rate limit protects capacity, it does not grant access.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

DEFAULT_RATE = 5000.0
log = logging.getLogger("padis.ratelimit")


class Limiter(Protocol):
    """Anything that answers "may this client go ahead now?"."""

    def allow(self, key: str, rate: float | None) -> float:
        """0.0 when the request may go ahead, else the seconds to wait before retrying."""
        ...


class RateLimiter:
    """Token buckets keyed by client: ``rate`` tokens per second, burst of ``2 x rate``."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, rate: float | None) -> float:
        """0.0 when the request may go ahead, else the seconds to wait before retrying."""
        rate = float(rate or DEFAULT_RATE)
        burst = max(rate * 2, 1.0)
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / rate


# KEYS[1] bucket; ARGV rate (tokens/s), burst. Server time, so hosts with skewed clocks agree.
_BUCKET_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'last')
local tokens, last = tonumber(b[1]) or burst, tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - last) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""
WARN_EVERY_S = 60.0


class RedisRateLimiter:
    """Token buckets in Redis, shared by every worker and node that uses the same server."""

    def __init__(self, url: str, *, prefix: str = "padis:ratelimit:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._redis.register_script(_BUCKET_LUA)
        self._prefix = prefix
        self._warned = 0.0

    def allow(self, key: str, rate: float | None) -> float:
        """0.0 when the request may go ahead, else the seconds to wait (0.0 too when Redis is down)."""
        import redis

        rate = float(rate or DEFAULT_RATE)
        try:
            return float(self._script(keys=[self._prefix + key], args=[rate, max(rate * 2, 1.0)]))
        except redis.RedisError as exc:
            now = time.monotonic()
            if now - self._warned > WARN_EVERY_S:
                self._warned = now
                log.warning("rate limiter: Redis unreachable, requests not limited (%s)", type(exc).__name__)
            return 0.0


def make_limiter(url: str = "") -> Limiter:
    """The limiter configured by ``url`` (``PADIS_RATE_LIMIT_URL``): Redis when given, else in process."""
    if not url:
        return RateLimiter()
    if not url.startswith(("redis://", "rediss://", "unix://")):
        from padis.errors import ConfigError

        raise ConfigError(
            "unsupported rate-limit store", where="PADIS_RATE_LIMIT_URL", why="use redis://host:port/db"
        )
    return RedisRateLimiter(url)
