"""The sweeper: books whose worker vanished without a redelivery get their plan or chunk queued again."""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from buko.adapters.persistence.sweeps import stalled_chunks, stalled_planning
from buko.adapters.queue.inspect import QueueInspector
from buko.adapters.queue.taskiq_queue import TASK_NAMES
from buko.application.commands import ARCHITECTURE_QUEUE, GENERATION_QUEUE, PlanBook, WriteChunk
from buko.bootstrap import Container

log = logging.getLogger(__name__)


class Sweeper:
    """Re-queues chunks that should have a task but have none in the stream (neither waiting nor
    pending): e.g. the stream was flushed or trimmed, or a worker died between commit and enqueue.
    A duplicate task is harmless: a chunk is claimed under a row lock and never written twice."""

    def __init__(self, container: Container):
        settings = container.settings()
        self.sessionmaker = container.core.sessionmaker()
        self.clock, self.queue = container.core.clock(), container.gateways.queue()
        self.redis = container.gateways.redis()
        self.inspector = QueueInspector(self.redis, settings.redis_prefix)
        self.lock_key = f"{settings.redis_prefix}sweeper"
        self.interval, self.grace = settings.sweep_interval_seconds, timedelta(seconds=settings.sweep_grace_seconds)

    async def sweep_planning(self) -> list[str]:
        """Books in `planning` with no plan_book task anywhere get one again (with their notes)."""
        candidates = await stalled_planning(self.sessionmaker, self.clock.now() - self.grace)
        if not candidates:
            return []
        name = TASK_NAMES[PlanBook]
        alive = {t.get("book_id") for t in await self.inspector.in_flight(ARCHITECTURE_QUEUE) if t.get("task") == name}
        lost = [(book_id, notes) for book_id, notes in candidates if book_id not in alive]
        for book_id, notes in lost:
            log.warning("sweeper: book %s was planning with no task; queued again", book_id)
            await self.queue.enqueue(PlanBook(book_id, notes))
        return [book_id for book_id, _ in lost]

    async def sweep(self) -> list[tuple[str, int]]:
        """One pass over chunks; returns the (book_id, index) queued again."""
        now = self.clock.now()
        candidates = await stalled_chunks(self.sessionmaker, now, now - self.grace)
        if not candidates:
            return []
        name = TASK_NAMES[WriteChunk]
        alive = {
            (task.get("book_id"), task.get("index"))
            for task in await self.inspector.in_flight(GENERATION_QUEUE)
            if task.get("task") == name
        }
        lost = [c for c in candidates if c not in alive]
        for book_id, index in lost:
            log.warning("sweeper: chunk %s of book %s had no task; queued again", index, book_id)
            await self.queue.enqueue(WriteChunk(book_id, index))
        return lost

    async def run(self) -> None:
        """Sweep every `interval` seconds; across workers, one sweep per interval (a Redis lock)."""
        while True:
            try:
                if await self.redis.set(self.lock_key, "1", nx=True, px=int(self.interval * 1000)):
                    await self.sweep_planning()
                    await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:  # a failed sweep is retried at the next interval
                log.exception("sweeper pass failed")
            if asyncio.current_task().cancelling():  # a cancellation redis-py swallowed
                raise asyncio.CancelledError
            await asyncio.sleep(self.interval)
