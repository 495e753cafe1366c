"""The Redis stream queues: acknowledged delivery, redelivery on a quiet stream, bounded length, the sweeper."""
from __future__ import annotations

import asyncio
import pytest
from redis.asyncio import Redis

from buko.adapters.queue.inspect import QueueInspector
from buko.adapters.queue.redis_streams import AcknowledgedStreamBroker, stream_name
from buko.adapters.queue.taskiq_queue import TaskiqTaskQueue
from buko.application.commands import GENERATION_QUEUE, WriteBook, WriteChunk
from buko.entrypoints.worker.runtime import running
from buko.entrypoints.worker.sweeper import Sweeper
from tests.integration.conftest_persistence import postgresql_url  # noqa: F401  (fixture)
from tests.integration.infra import REDIS_URL, approved_book, container_for, redis_prefix, settings_for  # noqa: F401

pytestmark = pytest.mark.redis


def broker(prefix: str, idle_ms: int = 60_000, maxlen: int = 1000) -> AcknowledgedStreamBroker:
    return AcknowledgedStreamBroker(REDIS_URL, GENERATION_QUEUE, stream_name(prefix, GENERATION_QUEUE), maxlen, idle_ms)


async def test_a_task_left_unacknowledged_is_redelivered_even_when_nothing_new_arrives(redis_prefix):  # noqa: F811
    dead, alive = broker(redis_prefix, idle_ms=300), broker(redis_prefix, idle_ms=300)
    for b in (dead, alive):
        await b.startup()
    try:
        await TaskiqTaskQueue({GENERATION_QUEUE: dead}).enqueue(WriteChunk("book", 3))
        taken = await anext(dead.listen())  # read, never acknowledged: its worker "died"
        async with asyncio.timeout(5):
            again = await anext(alive.listen())
        assert again.data == taken.data
        await again.ack()
        inspector = QueueInspector(Redis.from_url(REDIS_URL), redis_prefix)
        state = await inspector.state(GENERATION_QUEUE)
        assert (state.waiting, state.pending) == (0, 0)
        await inspector.redis.aclose()
    finally:
        for b in (dead, alive):
            await b.shutdown()


async def test_streams_are_bounded(redis_prefix):  # noqa: F811
    small = broker(redis_prefix, maxlen=100)
    queue = TaskiqTaskQueue({GENERATION_QUEUE: small})
    for i in range(500):
        await queue.enqueue(WriteChunk("book", i))
    redis = Redis.from_url(REDIS_URL)
    try:
        assert await redis.xlen(stream_name(redis_prefix, GENERATION_QUEUE)) < 300
    finally:
        await redis.aclose()
        await small.shutdown()


@pytest.mark.postgres
async def test_the_sweeper_requeues_a_chunk_whose_task_vanished(postgresql_url, redis_prefix):  # noqa: F811
    container = container_for(settings_for(postgresql_url, redis_prefix, sweep_grace_seconds=0))
    async with running(container, migrate=False):
        book_id = await approved_book(container)
        await container.use_cases.write_book()(WriteBook(book_id, lanes=2))
        redis = container.gateways.redis()
        inspector = QueueInspector(redis, redis_prefix)
        queued = [(t["book_id"], t["index"]) for t in await inspector.in_flight(GENERATION_QUEUE)]
        assert len(queued) == 2
        sweeper = Sweeper(container)
        assert await sweeper.sweep() == []  # every queued chunk has its task

        await redis.delete(stream_name(redis_prefix, GENERATION_QUEUE))  # the stream was flushed
        assert sorted(await sweeper.sweep()) == sorted(queued)
        assert sorted((t["book_id"], t["index"]) for t in await inspector.in_flight(GENERATION_QUEUE)) == sorted(queued)
        assert await sweeper.sweep() == []  # not twice
