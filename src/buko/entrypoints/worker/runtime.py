"""Start and stop what a process needs: migrations, brokers with their tasks, the engine, clients."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from taskiq import InMemoryBroker

from buko.adapters.observability import tasks as observed_tasks
from buko.adapters.persistence.migrate import upgrade
from buko.bootstrap import Container
from buko.entrypoints.worker.tasks import register


IN_PROCESS_GRACE = 30.0


@asynccontextmanager
async def running(container: Container, *, migrate: bool = True, grace: float = IN_PROCESS_GRACE
                  ) -> AsyncIterator[Container]:
    engine = container.core.engine()
    started, finished = [], False
    try:
        if migrate:
            await upgrade(engine)
        brokers = container.gateways.brokers()
        register(brokers, container)
        observed_tasks.install(brokers, container.use_cases.task_failures())  # ids, logs, metrics, failures
        for broker in brokers.values():
            await broker.startup()
            started.append(broker)
        yield container
        finished = True
    finally:
        # Everything that was opened is closed, even when start-up itself failed halfway.
        for broker in started:
            if finished and isinstance(broker, InMemoryBroker):  # queued exports and mail may finish first
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(broker.wait_all()), grace)
            await asyncio.shield(broker.shutdown())
        await container.gateways.llm().aclose()
        await engine.dispose()
        redis = container.gateways.redis()
        if redis is not None:
            await redis.aclose()
