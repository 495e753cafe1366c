"""Rate limits with `limits`: moving windows in Redis when it is configured, else in memory."""
from __future__ import annotations

import time

from limits import parse_many
from limits.aio.storage import MemoryStorage
from limits.storage import storage_from_string
from limits.aio.strategies import MovingWindowRateLimiter

from buko.application.ports import RateLimiter


class LimitsRateLimiter(RateLimiter):
    def __init__(self, redis_url: str = "", prefix: str = "buko:"):
        if redis_url:
            self.storage = storage_from_string(f"async+{redis_url}", implementation="redispy",
                                               key_prefix=f"{prefix}limits")  # DESIGN.md: redispy, not coredis
        else:
            self.storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(self.storage)

    async def hit(self, rule: str, key: str) -> float | None:
        """`rule` may hold several limits ("5/minute;30/hour"): every one must allow the hit."""
        for limit in parse_many(rule):
            if not await self.limiter.hit(limit, key):
                stats = await self.limiter.get_window_stats(limit, key)
                return max(stats.reset_time - _now(), 1.0)
        return None


def _now() -> float:
    return time.time()
