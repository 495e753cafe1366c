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


@pytest.mark.postgres
async def test_the_sweeper_requeues_a_plan_whose_task_vanished_with_its_notes(postgresql_url, redis_prefix):  # noqa: F811
    import uuid

    from buko.adapters.llm.offline import OfflineDemoWriter
    from buko.application.commands import ARCHITECTURE_QUEUE
    from buko.domain.accounts.user import Role, User
    from buko.domain.books.book import Book
    from buko.domain.books.brief import Brief
    from buko.domain.books.usage import Usage

    container = container_for(settings_for(postgresql_url, redis_prefix, sweep_grace_seconds=0))
    async with running(container, migrate=False):
        now = container.core.clock().now()
        user = User(uuid.uuid4().hex, f"{uuid.uuid4().hex}@example.com", "Ana", Role.AUTHOR, now)
        brief = Brief(idea="A practical guide to urban beekeeping", target_words=1200, chapter_count=2)
        book = Book(id=uuid.uuid4().hex, owner_id=user.id, brief=brief, created_at=now)
        book.request_plan()
        book.architecture_ready(OfflineDemoWriter().plan(brief), Usage(calls=1), "demo", True)
        book.request_revision("More on honey")  # stored, but its plan_book task never reached the stream
        async with container.core.uow() as uow:
            await uow.users.add(user)
            await uow.books.add(book)
            await uow.commit()
        inspector = QueueInspector(container.gateways.redis(), redis_prefix)
        sweeper = Sweeper(container)
        assert await sweeper.sweep_planning() == [book.id]
        (task,) = await inspector.in_flight(ARCHITECTURE_QUEUE)
        assert (task["book_id"], task["notes"]) == (book.id, "More on honey")
        assert await sweeper.sweep_planning() == []  # its task is there now
