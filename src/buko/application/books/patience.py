"""Waiting out a model that is unavailable for a while, instead of failing the book."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from buko.application.ports import ModelUnavailable

T = TypeVar("T")
DEFAULT_MAX_WAIT = 1800.0


async def patiently(
    call: Callable[[], Awaitable[T]],
    announce: Callable[[str, float], Awaitable[None]],
    sleep: Callable[[float], Awaitable[None]],
    max_wait: float = DEFAULT_MAX_WAIT,
) -> T:
    """Run `call`; while the model says it is unavailable, announce it, wait and try again.

    Gives up (re-raising) once waiting longer would exceed `max_wait` seconds in all.
    """
    waited = 0.0
    while True:
        try:
            return await call()
        except ModelUnavailable as busy:
            if waited + busy.retry_after > max_wait:
                raise
            await announce(str(busy), busy.retry_after)
            await sleep(busy.retry_after)
            waited += busy.retry_after


def give_up_reason(stage: str, failure: Exception, max_wait: float) -> str:
    """Why `stage` ("planning", "writing") stopped, for the author: no "retrying" when it will not."""
    if isinstance(failure, ModelUnavailable):
        return f"{stage} stopped: the model stayed unavailable for more than {max_wait:.0f} s ({failure})"
    return f"{stage} failed: {failure}"
