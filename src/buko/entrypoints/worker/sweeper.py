"""The sweeper: plans and chunks whose task vanished get queued again.

A chunk is judged on its own: one that is queued with no task anywhere in the stream (or being
written by a worker that is gone, or whose lease ran out, again with no task) for the grace period
is queued again, however busy the rest of its book is. When Redis comes back empty the queued
chunks are queued again at once: everything that was waiting in the streams was lost with it.
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from buko.adapters.persistence.sweeps import OpenChunk, open_chunks, stalled_planning
from buko.adapters.queue.inspect import QueueInspector, RedisWorkerLiveness
from buko.adapters.queue.taskiq_queue import TASK_NAMES
from buko.application.commands import ARCHITECTURE_QUEUE, GENERATION_QUEUE, PlanBook, WriteChunk
from buko.bootstrap import Container

log = logging.getLogger(__name__)
TICK = 5.0  # how often the sweeper looks for a Redis that lost its data


class Sweeper:
    """Re-queues work that should have a task but has none in the stream (neither waiting nor
    pending). A duplicate task is harmless: a chunk is claimed under a row lock and never written twice."""

    def __init__(self, container: Container):
        settings = container.settings()
        self.sessionmaker = container.core.sessionmaker()
        self.clock, self.queue = container.core.clock(), container.gateways.queue()
        self.redis = container.gateways.redis()
        self.inspector = QueueInspector(self.redis, settings.redis_prefix)
        self.liveness = RedisWorkerLiveness(self.redis, settings.redis_prefix)
        self.lock_key = f"{settings.redis_prefix}sweeper"
        self.sightings_key = f"{settings.redis_prefix}sweeper:orphans"
        self.dead_key = f"{settings.redis_prefix}sweeper:dead"
        self.quick_lock_key = f"{settings.redis_prefix}sweeper:quick"
        self.marker_key = f"{settings.redis_prefix}sweeper:since"
        self.interval, self.grace = settings.sweep_interval_seconds, timedelta(seconds=settings.sweep_grace_seconds)
        self.heartbeat = settings.worker_heartbeat_seconds
        self.tick = min(TICK, self.interval, self.heartbeat)
        self._marked = False
        self._reset_pending = False
        self._reset_at = float("-inf")

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

    async def sweep(self, redis_was_reset: bool = False, dead_only: bool = False) -> list[tuple[str, int]]:
        """One pass over chunks; returns the (book_id, index) queued again. `dead_only` looks only
        for chunks held by a worker that is gone with no task left (the quick pass, every few seconds)."""
        candidates = await open_chunks(self.sessionmaker)
        if dead_only:
            now = self.clock.now()
            candidates = [c for c in candidates if c.status == "writing" and c.lease_until and c.lease_until >= now]
        orphans = await self._orphans(candidates) if candidates else {}
        due = await self._due(orphans, redis_was_reset, self.dead_key if dead_only else self.sightings_key)
        for book_id, index in due:
            log.warning("sweeper: chunk %s of book %s had no task (%s); queued again",
                        index, book_id, orphans[(book_id, index)])
            await self.queue.enqueue(WriteChunk(book_id, index))
        if due:
            await self.redis.hdel(self.dead_key if dead_only else self.sightings_key, *[_field(key) for key in due])
        return due

    async def _orphans(self, candidates: list[OpenChunk]) -> dict[tuple[str, int], str]:
        """The candidates with no task in the stream and nobody writing them, with the reason."""
        name = TASK_NAMES[WriteChunk]
        tasks = {
            (task.get("book_id"), task.get("index"))
            for task in await self.inspector.in_flight(GENERATION_QUEUE)
            if task.get("task") == name
        }
        now = self.clock.now()
        orphans, alive = {}, {}
        for chunk in candidates:
            key = (chunk.book_id, chunk.index)
            if key in tasks:
                continue
            if chunk.status == "queued":
                orphans[key] = "queued"
            elif chunk.lease_until is None or chunk.lease_until < now:
                orphans[key] = "its lease ran out"
            elif self._heartbeats_back():
                if chunk.lease_owner not in alive:
                    alive[chunk.lease_owner] = await self.liveness.alive(chunk.lease_owner)
                if not alive[chunk.lease_owner]:
                    orphans[key] = f"its worker {chunk.lease_owner} is gone"
        return orphans

    async def _due(self, orphans: dict[tuple[str, int], str], redis_was_reset: bool,
                   sightings: str) -> list[tuple[str, int]]:
        """Orphans seen for the whole grace period (first sightings are kept in Redis, so the sweeps
        of different workers add up). After a Redis reset a queued chunk's task was surely lost."""
        seen = {k.decode(): float(v) for k, v in (await self.redis.hgetall(sightings)).items()}
        now = time.time()
        gone = [f for f in seen if f not in {_field(key) for key in orphans}]
        if gone:
            await self.redis.hdel(sightings, *gone)
        fresh = {_field(key): now for key in orphans if _field(key) not in seen}
        if fresh:
            await self.redis.hset(sightings, mapping=fresh)
        grace = self.grace.total_seconds()
        # A missing heartbeat (3 beats) is already a strong sign: seen again a beat later is enough.
        dead_grace = min(grace, self.heartbeat)
        return [
            key for key, why in orphans.items()
            if (redis_was_reset and why == "queued")
            or now - seen.get(_field(key), now) >= (dead_grace if why.startswith("its worker") else grace)
        ]

    def _heartbeats_back(self) -> bool:
        """Right after Redis lost its data the heartbeat keys are gone too, until the next beats."""
        return time.monotonic() - self._reset_at > 3 * self.heartbeat

    async def _redis_was_reset(self) -> bool:
        """True once after Redis lost its data (the marker this sweeper set is gone)."""
        created = await self.redis.set(self.marker_key, "1", nx=True)
        reset, self._marked = bool(created) and self._marked, True
        if reset:
            log.warning("sweeper: Redis lost its data; queued chunks are queued again now")
            self._reset_at = time.monotonic()
        self._reset_pending = self._reset_pending or reset
        return self._reset_pending

    async def run(self) -> None:
        """Sweep every `interval` seconds across workers (one sweep per interval: a Redis lock),
        and at once when Redis comes back empty."""
        next_sweep = 0.0
        while True:
            try:
                reset = await self._redis_was_reset()
                if (reset or time.monotonic() >= next_sweep) and await self.redis.set(
                    self.lock_key, "1", nx=True, px=int(self.interval * 1000)
                ):
                    await self.sweep_planning()
                    await self.sweep(redis_was_reset=reset)
                    self._reset_pending = False
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + self.interval
                elif await self.redis.set(self.quick_lock_key, "1", nx=True, px=int(self.tick * 1000)):
                    await self.sweep(dead_only=True)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a failed sweep is retried at the next tick
                log.warning("sweeper pass failed: %s", exc)
            if asyncio.current_task().cancelling():  # a cancellation redis-py swallowed
                raise asyncio.CancelledError
            await asyncio.sleep(self.tick)


def _field(key: tuple[str, int]) -> str:
    return f"{key[0]}:{key[1]}"
