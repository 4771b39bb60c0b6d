"""The per-channel rate limit: paced in one process, shared between processes via Redis."""

from __future__ import annotations

import pytest

from backoffice.mail.ratelimit import RateLimiter


class FakeClock:
    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def sent_per_second(limiter: RateLimiter, clock: FakeClock, count: int) -> dict[int, int]:
    seconds: dict[int, int] = {}
    for _ in range(count):
        limiter.wait(sleep=clock.sleep, clock=clock)
        seconds[int(clock.now)] = seconds.get(int(clock.now), 0) + 1
    return seconds


def test_local_limiter_paces_to_the_rate():
    clock = FakeClock()
    seconds = sent_per_second(RateLimiter("sms", 10), clock, 50)
    assert max(seconds.values()) <= 10
    assert 4 <= clock.now - 1000 <= 5.1


def test_zero_means_unlimited():
    clock = FakeClock()
    assert RateLimiter("email", 0).wait(sleep=clock.sleep, clock=clock) == 0.0


@pytest.mark.redis
def test_two_workers_share_one_budget_through_redis(app):
    from backoffice.queue import redis_connection

    conn = redis_connection(app)
    prefix = "bo:test-rate"
    for key in conn.scan_iter(f"{prefix}:*"):
        conn.delete(key)
    clock = FakeClock(start=5000.0)
    first = RateLimiter("email", 40, conn, prefix=prefix)
    second = RateLimiter("email", 40, conn, prefix=prefix)
    per_second: dict[int, int] = {}
    for i in range(200):
        (first if i % 2 else second).wait(sleep=clock.sleep, clock=clock)
        per_second[int(clock.now)] = per_second.get(int(clock.now), 0) + 1
    assert max(per_second.values()) <= 40
    assert len(per_second) >= 5  # 200 messages at 40/s need five seconds at least


def test_redis_failure_falls_back_to_the_local_pace():
    class Broken:
        def pipeline(self):
            raise ConnectionError("redis down")

    clock = FakeClock()
    seconds = sent_per_second(RateLimiter("email", 5, Broken()), clock, 12)
    assert max(seconds.values()) <= 5
