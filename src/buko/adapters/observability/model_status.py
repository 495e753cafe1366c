"""The model adapter's circuit breaker and client-side limits, read (and the circuit reset) for admins.

It looks into the Claude adapter's parts (its Resilience and ClientLimiter); a model without them
(the offline demo writer) has no circuit and no limits.
"""
from __future__ import annotations

import time

from buko.application.operations.ports import CircuitStatus, Headroom, ModelStatus

STATES = {"closed": 0, "half-opened": 1, "opened": 2}


class AdapterModelStatus(ModelStatus):
    def __init__(self, llm):
        inner = getattr(llm, "inner", llm)
        self.model = getattr(inner, "name", "model")
        writer = getattr(inner, "writer", None)
        self.resilience = getattr(writer, "resilience", None)
        self.limiter = getattr(getattr(writer, "streamer", None), "limiter", None)

    async def _context(self):
        breakers = self.resilience.breakers
        if not self.resilience._ready:
            await breakers.initialize()
            self.resilience._ready = True
        async with breakers.uow as uow:
            return uow, await uow.contexts.get(self.resilience.circuit)

    async def circuits(self) -> list[CircuitStatus]:
        if self.resilience is None:
            return []
        _uow, context = await self._context()
        name = self.resilience.circuit
        if context is None:
            return [CircuitStatus(self.model, name, "closed")]
        reopens = None
        if context.state == "opened" and context.opened_at:
            reopens = max(0.0, context.opened_at + self.resilience.ttl - time.time())
        return [CircuitStatus(self.model, name, context.state, int(context.failure_count or 0), context.opened_at,
                              reopens)]

    async def reset(self, circuit: str) -> CircuitStatus | None:
        if self.resilience is None or circuit != self.resilience.circuit:
            return None
        from purgatory.domain.model import ClosedState  # only a model with a breaker gets here

        uow, context = await self._context()
        if context is not None:
            context.set_state(ClosedState())  # the in-memory store keeps this very object
            await uow.contexts.update_state(circuit, "closed", None)
            await uow.contexts.reset_failure(circuit)
        return (await self.circuits())[0]

    async def headroom(self) -> list[Headroom]:
        if self.limiter is None:
            return []
        found = []
        for name, item in (("requests per minute", self.limiter.requests),
                           ("output tokens per minute", self.limiter.tokens)):
            stats = await self.limiter.strategy.get_window_stats(item, self.limiter.key)
            found.append(Headroom(name, item.amount, max(0, int(stats.remaining)),
                                  max(0.0, stats.reset_time - time.time())))
        paused = self.limiter.paused_until - time.time()
        if paused > 0:
            found.append(Headroom("paused by the API's rate-limit headers", 0, 0, paused))
        return found
