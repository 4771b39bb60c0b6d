"""A campaign's own sending rate (messages per hour), shared by every worker through Redis.

Each message reserves the next free time slot: ``slot = max(next_free, now)`` and
``next_free = slot + 1 / rate`` in one atomic Redis script, so two workers sending the same
campaign together keep to its rate, any rate works (also less than one a second) and a
paused campaign does not burst to catch up when resumed. Without Redis (or while it does not
answer) each process keeps to the rate on its own.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)

_RESERVE = """
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
local slot = math.max(next_free, now)
redis.call('SET', KEYS[1], tostring(slot + tonumber(ARGV[2])), 'EX', 3600)
return tostring(slot)
"""


class Pacer:
    """Blocks in ``wait()`` until the campaign may send its next message."""

    def __init__(self, campaign_id: int, per_hour: int | None, redis=None):
        self.interval = 3600.0 / per_hour if per_hour else 0.0
        self.key = f"bo:newsletter-pace:{campaign_id}"
        self.redis = redis
        self._script = None
        self._local_next = 0.0

    def wait(self, sleep=time.sleep, clock=time.time) -> float:
        """Reserve a slot and sleep until it comes; returns the seconds slept."""
        if not self.interval:
            return 0.0
        now = clock()
        slot = self._reserve(now)
        pause = slot - now
        if pause > 0:
            sleep(pause)
            return pause
        return 0.0

    def _reserve(self, now: float) -> float:
        if self.redis is not None:
            try:
                if self._script is None:
                    self._script = self.redis.register_script(_RESERVE)
                return float(self._script(keys=[self.key], args=[repr(now), repr(self.interval)]))
            except Exception as exc:  # noqa: BLE001 - Redis trouble must not stop sending
                log.warning("campaign pacing falls back to this process: %s", exc)
        slot = max(self._local_next, now)
        self._local_next = slot + self.interval
        return slot
