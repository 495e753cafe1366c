"""Retries with full-jitter backoff behind a circuit breaker; an open circuit means 'wait', not 'fail'."""
from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anthropic
import httpx2
from purgatory import AsyncCircuitBreakerFactory, AsyncRedisUnitOfWork
from purgatory.domain.model import OpenedState
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_random_exponential

from buko.application.ports import ModelUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
CIRCUIT = "claude"


class StreamBroken(Exception):
    """The stream ended without its final event: the answer is incomplete."""


def is_transient(exc: BaseException) -> bool:
    """Worth another attempt: rate limits, overload, server errors, broken or stalled connections."""
    if isinstance(exc, anthropic.APIStatusError):
        # A mid-stream `event: error` arrives on a 200 response.
        return exc.status_code < 400 or exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return isinstance(exc, (anthropic.APIConnectionError, httpx2.TransportError, StreamBroken))


def retry_after(exc: BaseException | None) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return float(headers[name]) * scale
        except (KeyError, TypeError, ValueError):
            continue
    return None


def _describe(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    return f"{type(exc).__name__} {status}" if status else type(exc).__name__


class Resilience:
    """Runs one model call: up to `attempts` tries, each through the shared circuit breaker."""

    def __init__(self, breakers: AsyncCircuitBreakerFactory, *, attempts: int = 6, backoff: float = 1.0,
                 backoff_max: float = 60.0, threshold: int = 5, ttl: float = 30.0, circuit: str = CIRCUIT):
        self.breakers, self.attempts, self.circuit = breakers, attempts, circuit
        self.threshold, self.ttl = threshold, ttl
        self._jitter = wait_random_exponential(multiplier=backoff, max=backoff_max)
        self._ready = False

    @classmethod
    def from_settings(cls, settings) -> Resilience:
        uow = AsyncRedisUnitOfWork(settings.redis_url) if settings.redis_url else None
        breakers = AsyncCircuitBreakerFactory(
            default_threshold=settings.claude_breaker_threshold, default_ttl=settings.claude_breaker_ttl, uow=uow,
            exclude=[(BaseException, lambda exc: not is_transient(exc))],  # only transient failures count
        )
        return cls(breakers, attempts=settings.claude_max_attempts, backoff=settings.claude_backoff_seconds,
                   backoff_max=settings.claude_backoff_max_seconds, threshold=settings.claude_breaker_threshold,
                   ttl=settings.claude_breaker_ttl)

    def _wait(self, state: RetryCallState) -> float:
        hinted = retry_after(state.outcome.exception() if state.outcome else None) or 0.0
        return max(hinted, self._jitter(state))

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """Await `call()` until it succeeds; raises ModelUnavailable when the model is out for a while."""
        if not self._ready:
            await self.breakers.initialize()
            self._ready = True
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts), wait=self._wait, retry=retry_if_exception(is_transient),
            reraise=True, before_sleep=lambda s: log.warning("Claude call failed (%r); retrying", s.outcome.exception()),
        )
        try:
            async for attempt in retrying:
                with attempt:
                    breaker = await self.breakers.get_breaker(self.circuit, self.threshold, self.ttl)
                    async with breaker:
                        return await call()
        except OpenedState as opened:
            remaining = max(1.0, opened.opened_at + self.ttl - time.time())
            raise ModelUnavailable("Claude is unavailable (circuit open)", remaining) from None
        except Exception as exc:
            if not is_transient(exc):
                raise
            wait = max(retry_after(exc) or 0.0, self.ttl)
            raise ModelUnavailable(f"Claude keeps failing ({_describe(exc)})", wait) from exc
        raise AssertionError("unreachable")  # pragma: no cover
