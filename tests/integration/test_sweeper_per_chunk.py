"""The sweeper judges each chunk on its own: a lost task is queued again after the grace period
even while other lanes keep the book busy; a chunk held by a dead worker with no task is queued
again; after Redis lost its data the queued chunks are queued again at once."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from buko.adapters.queue.inspect import QueueInspector
from buko.adapters.queue.redis_streams import stream_name
from buko.application.commands import GENERATION_QUEUE, WriteBook, WriteChunk
from buko.entrypoints.worker.runtime import running
from buko.entrypoints.worker.sweeper import Sweeper
from tests.integration.conftest_persistence import postgresql_url  # noqa: F401  (fixture)
from tests.integration.infra import approved_book, container_for, redis_prefix, settings_for  # noqa: F401

pytestmark = [pytest.mark.redis, pytest.mark.postgres]
GRACE = 1.5


async def tasks(inspector, book_id: str) -> list[tuple[str, int]]:
    """The chunk tasks of this book (the session's database holds other tests' books too)."""
    found = await inspector.in_flight(GENERATION_QUEUE)
    return sorted((t["book_id"], t["index"]) for t in found if t["book_id"] == book_id)


def of(book_id: str, swept: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return sorted(key for key in swept if key[0] == book_id)


async def test_a_lost_chunk_is_queued_again_after_the_grace_however_busy_its_book(postgresql_url, redis_prefix):  # noqa: F811
    container = container_for(settings_for(postgresql_url, redis_prefix, sweep_grace_seconds=GRACE))
    async with running(container, migrate=False):
        book_id = await approved_book(container, words=2000, chapters=2)
        await container.use_cases.write_book()(WriteBook(book_id, lanes=2))
        redis = container.gateways.redis()
        inspector = QueueInspector(redis, redis_prefix)
        queued = await tasks(inspector, book_id)
        assert len(queued) == 2
        await redis.delete(stream_name(redis_prefix, GENERATION_QUEUE))  # both tasks lost
        queue = container.gateways.queue()
        await queue.enqueue(WriteChunk(*queued[1]))  # the other lane still has its task
        sweeper = Sweeper(container)
        assert of(book_id, await sweeper.sweep()) == []  # first seen: not yet
        # The book keeps changing (the other lane writes): the lost chunk is judged on its own.
        await container.use_cases.write_chunk()(WriteChunk(*queued[1]))
        await asyncio.sleep(GRACE + 0.1)
        assert of(book_id, await sweeper.sweep()) == [queued[0]]
        assert queued[0] in await tasks(inspector, book_id)
        assert of(book_id, await Sweeper(container).sweep()) == []  # another worker's sweeper: not twice


async def test_a_chunk_whose_worker_died_without_a_task_is_queued_again(postgresql_url, redis_prefix):  # noqa: F811
    container = container_for(settings_for(postgresql_url, redis_prefix, sweep_grace_seconds=0))
    async with running(container, migrate=False):
        book_id = await approved_book(container, words=1200, chapters=1)
        await container.use_cases.write_book()(WriteBook(book_id, lanes=1))
        redis = container.gateways.redis()
        now = container.core.clock().now()
        async with container.core.uow() as uow:  # a worker claimed chunk 0 and died with its task lost
            book = await uow.books.get(book_id, for_update=True)
            assert book.claim_chunk(0, "host:1:dead", now, timedelta(minutes=15))
            await uow.commit()
        await redis.delete(stream_name(redis_prefix, GENERATION_QUEUE))
        await redis.set(f"{redis_prefix}workers:{GENERATION_QUEUE}:host:1:dead", "alive", px=60_000)
        sweeper = Sweeper(container)
        assert of(book_id, await sweeper.sweep()) == []  # its holder still beats
        assert of(book_id, await sweeper.sweep(dead_only=True)) == []
        await redis.delete(f"{redis_prefix}workers:{GENERATION_QUEUE}:host:1:dead")
        assert of(book_id, await sweeper.sweep(dead_only=True)) == [(book_id, 0)]  # the quick pass
        assert of(book_id, await sweeper.sweep()) == []  # its task is there now: not twice
        assert await container.use_cases.write_chunk()(WriteChunk(book_id, 0)) is True  # taken over at once
        stored = await container.use_cases.queries().book(book_id)
        assert [w for w, _ in stored.chunks[0].lost_workers] == ["host:1:dead"]


async def test_after_redis_lost_its_data_queued_chunks_are_queued_again_at_once(postgresql_url, redis_prefix):  # noqa: F811
    container = container_for(settings_for(postgresql_url, redis_prefix, sweep_grace_seconds=3600))
    async with running(container, migrate=False):
        book_id = await approved_book(container, words=2000, chapters=2)
        await container.use_cases.write_book()(WriteBook(book_id, lanes=2))
        redis = container.gateways.redis()
        inspector = QueueInspector(redis, redis_prefix)
        queued = await tasks(inspector, book_id)
        sweeper = Sweeper(container)
        assert await sweeper._redis_was_reset() is False  # first look: sets its marker
        assert of(book_id, await sweeper.sweep()) == []
        keys = [k async for k in redis.scan_iter(match=f"{redis_prefix}*")]
        await redis.delete(*keys)  # everything under the prefix is gone, as after an empty restart
        assert await sweeper._redis_was_reset() is True
        assert of(book_id, await sweeper.sweep(redis_was_reset=True)) == queued
        assert await tasks(inspector, book_id) == queued
