"""A chunk whose worker died is taken over as soon as the worker's heartbeat is gone; a live
worker's chunk is never taken; watchers' troubles never stop the next chunk from being queued."""
from datetime import timedelta

from buko.application.books.writing import WriteChunkHandler
from buko.application.commands import ApproveArchitecture, WriteBook, WriteChunk
from buko.application.liveness import WorkerLiveness
from buko.application.messagebus import MessageBus
from buko.domain.books.chunks import ChunkStatus
from tests.unit.test_use_cases import planned, stored


class Heartbeats(WorkerLiveness):
    def __init__(self, *alive: str):
        self.living = set(alive)
        self.asked: list[str] = []

    async def alive(self, worker_id):
        self.asked.append(worker_id)
        return worker_id in self.living


def writer(app, worker_id, liveness):
    return WriteChunkHandler(app.uow, app.bus, app.llm, app.live, app.clock, worker_id, timedelta(minutes=15),
                             liveness=liveness)


async def started_book(app) -> str:
    book_id = await planned(app)
    await app.approve(ApproveArchitecture(book_id))
    await app.write_book(WriteBook(book_id))
    return book_id


async def test_a_chunk_held_by_a_dead_worker_is_taken_over_without_waiting_for_its_lease(app):
    book_id = await started_book(app)
    heartbeats = Heartbeats("w1", "w2")

    async def dies(request, on_text, on_restart=None):
        raise KeyboardInterrupt  # stands for kill -9: nothing after this runs in w1

    original, app.llm.write = app.llm.write, dies
    try:
        await writer(app, "w1", heartbeats)(WriteChunk(book_id, 0))
    except KeyboardInterrupt:
        pass
    app.llm.write = original
    held = stored(app, book_id).chunks[0]
    assert held.lease_owner == "w1" and held.lease_until > app.clock.now()

    app.clock.advance(seconds=20)
    assert await writer(app, "w2", heartbeats)(WriteChunk(book_id, 0)) is False  # w1 still beats
    heartbeats.living.discard("w1")  # its heartbeat expired
    assert await writer(app, "w2", heartbeats)(WriteChunk(book_id, 0)) is True
    chunk = stored(app, book_id).chunks[0]
    assert chunk.status is ChunkStatus.DONE
    assert [w for w, _ in chunk.lost_workers] == ["w1"]
    assert heartbeats.asked == ["w1", "w1"]


async def test_without_heartbeats_only_an_expired_lease_frees_a_chunk(app):
    book_id = await started_book(app)

    async def dies(request, on_text, on_restart=None):
        raise KeyboardInterrupt

    original, app.llm.write = app.llm.write, dies
    try:
        await writer(app, "w1", None)(WriteChunk(book_id, 0))
    except KeyboardInterrupt:
        pass
    app.llm.write = original
    assert await writer(app, "w2", None)(WriteChunk(book_id, 0)) is False
    app.clock.advance(minutes=16)
    assert await writer(app, "w2", None)(WriteChunk(book_id, 0)) is True


class BrokenLive:
    """Live events whose every publish fails (Redis away for the watchers)."""

    def __init__(self, inner):
        self.inner = inner

    async def publish(self, book_id, event):
        raise ConnectionError("live events unavailable")

    def __getattr__(self, name):
        return getattr(self.inner, name)


async def test_a_failing_publish_never_keeps_the_next_chunk_from_being_queued(app):
    book_id = await started_book(app)
    broken = BrokenLive(app.live)
    bus = MessageBus(app.queue, broken, app.uow)
    handler = WriteChunkHandler(app.uow, bus, app.llm, broken, app.clock, "w1", timedelta(minutes=15))
    assert await handler(WriteChunk(book_id, 0)) is True
    assert stored(app, book_id).chunks[0].done
    assert WriteChunk(book_id, 1) in app.queue.sent
    assert stored(app, book_id).chunks[1].status is ChunkStatus.QUEUED
