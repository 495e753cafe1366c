"""Start and stop what a process needs: migrations, brokers with their tasks, the engine, clients."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from buko.adapters.persistence.migrate import upgrade
from buko.bootstrap import Container
from buko.entrypoints.worker.tasks import register


@asynccontextmanager
async def running(container: Container, *, migrate: bool = True) -> AsyncIterator[Container]:
    engine = container.core.engine()
    started = []
    try:
        if migrate:
            await upgrade(engine)
        brokers = container.gateways.brokers()
        register(brokers, container)
        for broker in brokers.values():
            await broker.startup()
            started.append(broker)
        yield container
    finally:
        # Everything that was opened is closed, even when start-up itself failed halfway.
        for broker in started:
            await asyncio.shield(broker.shutdown())
        await container.gateways.llm().aclose()
        await engine.dispose()
        redis = container.gateways.redis()
        if redis is not None:
            await redis.aclose()
