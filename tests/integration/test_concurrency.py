"""Two workers (two engines, two connection pools) race for one chunk on PostgreSQL: exactly one wins."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from buko.adapters.clock import SystemClock
from buko.adapters.live.memory import InProcessLiveEvents
from buko.adapters.llm.offline import OfflineDemoWriter
from buko.adapters.persistence.engine import make_engine, make_sessionmaker
from buko.adapters.persistence.uow import SqlAlchemyUnitOfWork
from buko.application.books.writing import WriteChunkHandler
from buko.application.commands import Command, WriteBook, WriteChunk
from buko.application.messagebus import MessageBus
from buko.application.ports import TaskQueue
from buko.entrypoints.worker.runtime import running
from tests.integration.conftest_persistence import postgresql_url  # noqa: F401  (fixture)
from tests.integration.infra import approved_book, container_for, expected_texts, redis_prefix, settings_for  # noqa: F401

pytestmark = pytest.mark.postgres


class RecordingQueue(TaskQueue):
    def __init__(self) -> None:
        self.sent: list[Command] = []

    async def enqueue(self, command: Command) -> None:
        self.sent.append(command)


def worker(url: str, name: str, queue: TaskQueue):
    engine = make_engine(url, pool_size=2, max_overflow=0)
    uow = lambda: SqlAlchemyUnitOfWork(make_sessionmaker(engine))  # noqa: E731
    live = InProcessLiveEvents()
    handler = WriteChunkHandler(uow, MessageBus(queue, live, uow), OfflineDemoWriter(words_per_second=3000), live,
                                SystemClock(), worker_id=name, lease=timedelta(minutes=5))
    return engine, handler


async def test_two_workers_race_for_one_chunk_and_exactly_one_writes_it(postgresql_url, redis_prefix):  # noqa: F811
    container = container_for(settings_for(postgresql_url, redis_prefix, chunk_words=500))
    async with running(container, migrate=False):
        book_id = await approved_book(container, words=1000, chapters=1)
        await container.use_cases.write_book()(WriteBook(book_id, lanes=1))
        queue = RecordingQueue()
        (engine_a, a), (engine_b, b) = worker(postgresql_url, "a", queue), worker(postgresql_url, "b", queue)
        try:
            for _ in range(3):  # three rounds, each started at the same instant
                wins = await asyncio.gather(a(WriteChunk(book_id, 0)), b(WriteChunk(book_id, 0)))
                assert sorted(wins) in ([False, True], [False, False])
            book = await container.use_cases.queries().book(book_id)
        finally:
            await engine_a.dispose()
            await engine_b.dispose()
    assert book.chunks[0].done and book.chunks[0].attempts == 1
    assert book.chunks[0].text == (await expected_texts(book))[0]
    assert [c for c in queue.sent if isinstance(c, WriteChunk)] == [WriteChunk(book_id, 1)]  # queued once
