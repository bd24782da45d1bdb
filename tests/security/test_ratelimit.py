"""Rate limits: the in-process bucket, and buckets shared by every worker through Redis."""

from __future__ import annotations

import uuid

import pytest

from padis.errors import ConfigError
from padis.security.ratelimit import RateLimiter, RedisRateLimiter, make_limiter


def test_in_process_bucket_allows_a_burst_then_asks_to_wait() -> None:
    limiter = RateLimiter()
    assert [limiter.allow("client:a", 1.0) for _ in range(2)] == [0.0, 0.0]  # burst = 2 x rate
    assert limiter.allow("client:a", 1.0) > 0
    assert limiter.allow("client:b", 1.0) == 0.0  # buckets are per client


def test_workers_share_one_bucket_through_redis(redis_url: str) -> None:
    prefix = f"padis:test:{uuid.uuid4().hex}:"
    one, two = RedisRateLimiter(redis_url, prefix=prefix), RedisRateLimiter(redis_url, prefix=prefix)
    # Two workers, one client at 1 request/s (burst 2): the third request waits whichever worker takes it.
    assert one.allow("client:a", 1.0) == 0.0
    assert two.allow("client:a", 1.0) == 0.0
    wait = one.allow("client:a", 1.0)
    assert 0 < wait <= 1.0
    assert two.allow("client:b", 1.0) == 0.0
    in_process = [RateLimiter(), RateLimiter()]  # the default: each worker its own bucket
    assert [w.allow("client:a", 1.0) for w in in_process for _ in range(2)] == [0.0] * 4


def test_unreachable_redis_lets_requests_through() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0")
    assert limiter.allow("client:a", 0.001) == 0.0
    assert limiter.allow("client:a", 0.001) == 0.0


def test_limiter_choice() -> None:
    assert isinstance(make_limiter(""), RateLimiter)
    assert isinstance(make_limiter("redis://127.0.0.1:6379/15"), RedisRateLimiter)
    with pytest.raises(ConfigError):
        make_limiter("memcached://127.0.0.1:11211")
