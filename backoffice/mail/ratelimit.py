"""Messages per second per channel, shared by every worker through Redis.

SMTP relays and SMS gateways throttle or block senders that go too fast, so each channel
has a budget (``MAIL_RATE_PER_SECOND``, ``SMS_RATE_PER_SECOND``; 0 = unlimited). With Redis
the budget is a counter per one-second window that all workers on all hosts increment
(they reserve a few slots per round trip, so a fast channel costs few Redis calls); without
Redis, or while Redis does not answer, each process keeps to the budget on its own.
"""

from __future__ import annotations

import logging
import math
import time

log = logging.getLogger(__name__)


class RateLimiter:
    """Blocks in ``wait()`` until sending one more message keeps within ``per_second``."""

    def __init__(self, channel: str, per_second: float, redis=None, prefix: str = "bo:rate"):
        self.channel = channel
        self.per_second = float(per_second or 0)
        self.redis = redis
        self.prefix = prefix
        #: Slots reserved from the shared window and not used yet.
        self.tokens = 0
        self.window = -1
        self.chunk = max(1, min(50, int(self.per_second // 20)))
        self._local_next = 0.0

    @property
    def unlimited(self) -> bool:
        return self.per_second <= 0

    def wait(self, sleep=time.sleep, clock=time.time) -> float:
        """Take one slot, sleeping as needed; returns the seconds slept."""
        if self.unlimited:
            return 0.0
        slept = 0.0
        while True:
            now = clock()
            window = math.floor(now)
            if window != self.window:
                self.window, self.tokens = window, 0
            if self.tokens > 0:
                self.tokens -= 1
                return slept
            granted, retry_at = self._reserve(window, now)
            if granted > 0:
                self.tokens = granted - 1
                return slept
            pause = max(0.001, retry_at - now)
            sleep(pause)
            slept += pause

    def _reserve(self, window: int, now: float) -> tuple[int, float]:
        """(slots granted, when to ask again if none)."""
        if self.redis is not None:
            try:
                return self._reserve_shared(window), window + 1
            except Exception as exc:  # noqa: BLE001 - Redis trouble must not stop sending
                log.warning("rate limit falls back to this process: %s", exc)
        return self._reserve_local(now)

    def _reserve_shared(self, window: int) -> int:
        key = f"{self.prefix}:{self.channel}:{window}"
        pipe = self.redis.pipeline()
        pipe.incrby(key, self.chunk)
        pipe.expire(key, 5)
        total, _ = pipe.execute()
        limit = max(1, int(self.per_second))
        before = total - self.chunk
        return max(0, min(self.chunk, limit - before))

    def _reserve_local(self, now: float) -> tuple[int, float]:
        if now >= self._local_next:
            self._local_next = max(now, self._local_next) + 1.0 / self.per_second
            return 1, now
        return 0, self._local_next
