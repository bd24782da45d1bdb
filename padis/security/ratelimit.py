"""Per-client rate limits: an in-process token bucket.

In-process means per server worker: with N uvicorn workers a client gets up to N x its rate. That
is the documented trade-off for needing no shared store; run one worker per node where exact limits
matter.
"""

from __future__ import annotations

import threading
import time

DEFAULT_RATE = 5000.0


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
