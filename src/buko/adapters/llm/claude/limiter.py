"""Client-side limits: in-flight requests, requests and reserved output tokens per minute."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime

from limits import RateLimitItemPerMinute
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

log = logging.getLogger(__name__)
KEY = "buko-claude"
MAX_PAUSE = 60.0
_LOW = {"requests": 1, "output-tokens": 2_000, "tokens": 2_000}


class ClientLimiter:
    """Waits before a request rather than letting the API refuse it.

    Per-minute counts live in `limits` storage (Redis when configured, so all workers share them);
    the in-flight cap is per process. `observe()` reads `anthropic-ratelimit-*` response headers and
    pauses new requests until the reset time when the server says a budget is nearly spent.
    """

    def __init__(self, storage_uri: str = "async+memory://", *, requests_per_minute: int = 1_000,
                 output_tokens_per_minute: int = 80_000, max_in_flight: int = 16, key: str = KEY):
        options = {"implementation": "redispy"} if "redis" in storage_uri else {}
        self.strategy = SlidingWindowCounterRateLimiter(storage_from_string(storage_uri, **options))
        self.requests = RateLimitItemPerMinute(requests_per_minute)
        self.tokens = RateLimitItemPerMinute(output_tokens_per_minute)
        self.slots = asyncio.Semaphore(max_in_flight)
        self.key = key
        self.paused_until = 0.0  # time.time()

    @classmethod
    def from_settings(cls, settings) -> ClientLimiter:
        uri = f"async+{settings.redis_url}" if settings.redis_url else "async+memory://"
        return cls(uri, requests_per_minute=settings.claude_requests_per_minute,
                   output_tokens_per_minute=settings.claude_output_tokens_per_minute,
                   max_in_flight=settings.claude_max_in_flight)

    @asynccontextmanager
    async def reserve(self, output_tokens: int) -> AsyncIterator[Reservation]:
        """Hold one in-flight slot, one request and `output_tokens` of the per-minute budgets.

        The caller settles the reservation with the tokens the call really produced
        (`Reservation.settle`): what was not used is given back at once, an overrun is charged.
        """
        async with self.slots:
            await self._take(self.requests, 1)
            reserved = max(1, min(output_tokens, self.tokens.amount))
            await self._take(self.tokens, reserved)
            reservation = Reservation(self, reserved)
            try:
                yield reservation
            finally:
                await reservation.close()

    async def adjust(self, tokens: int) -> None:
        """Add `tokens` (negative: give back) to this window's output-token count."""
        if tokens:
            try:
                await _adjust_window(self.strategy.storage, self.tokens.key_for(self.key),
                                     self.tokens.get_expiry(), tokens)
            except Exception:  # the limit is advisory: a failed settlement must not fail the call
                log.warning("could not settle %+d output tokens with the limiter", tokens, exc_info=True)

    async def _take(self, item: RateLimitItemPerMinute, cost: int) -> None:
        while True:
            pause = self.paused_until - time.time()
            if pause > 0:
                await asyncio.sleep(pause)
                continue
            if await self.strategy.hit(item, self.key, cost=cost):
                return
            stats = await self.strategy.get_window_stats(item, self.key)
            await asyncio.sleep(min(MAX_PAUSE, max(0.05, stats.reset_time - time.time())))

    def observe(self, headers: Mapping[str, str]) -> None:
        """Slow down when the server reports a nearly spent budget."""
        for kind, low in _LOW.items():
            remaining = headers.get(f"anthropic-ratelimit-{kind}-remaining")
            reset = headers.get(f"anthropic-ratelimit-{kind}-reset")
            if remaining is None or reset is None:
                continue
            try:
                spent = int(remaining) < low
                until = datetime.fromisoformat(reset.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
            if spent and until > self.paused_until:
                self.paused_until = min(until, time.time() + MAX_PAUSE)
                log.warning("Claude %s budget nearly spent; pausing new requests until %s", kind, reset)


class Reservation:
    """Output tokens held for one call until it is settled with what the call produced."""

    def __init__(self, limiter: ClientLimiter, reserved: int):
        self.limiter, self.reserved, self.used = limiter, reserved, None

    def settle(self, used: int) -> None:
        """Record the output tokens (thinking included) the call really produced."""
        self.used = max(0, used)

    async def close(self) -> None:
        # An unsettled call (it failed before any usage was known) gives back its whole reservation.
        await self.limiter.adjust((self.used or 0) - self.reserved)


_REDIS_ADJUST = """
local v = redis.call('get', KEYS[1])
if not v then return 0 end
local n = tonumber(v) + tonumber(ARGV[1])
if n < 0 then n = 0 end
redis.call('set', KEYS[1], n, 'KEEPTTL')
return n
"""


async def _adjust_window(storage, key: str, expiry: int, tokens: int) -> None:
    """Change the current sliding-window counter of `key` by `tokens`, never below zero."""
    bridge = getattr(storage, "bridge", None)
    if bridge is not None:  # limits' Redis storage keeps the current window in "{key}"
        redis = bridge.get_connection()
        await redis.eval(_REDIS_ADJUST, 1, bridge.prefixed_key(storage._current_window_key(key)), tokens)
        return
    _, current = storage.sliding_window_keys(key, expiry, time.time())
    if tokens > 0:
        await storage.incr(current, 2 * expiry, amount=tokens)
    else:
        await storage.decr(current, -tokens)
