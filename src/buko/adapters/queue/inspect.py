"""Read the state of the task streams: depth, consumers, tasks in flight, live workers."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from buko.adapters.queue.redis_streams import GROUP, stream_name
from buko.application.commands import QUEUES
from buko.application.liveness import WorkerLiveness

SCAN_LIMIT = 10_000


@dataclass
class QueueState:
    """One queue as Redis sees it. `waiting` were never delivered; `pending` were, and are not acked."""

    queue: str
    length: int = 0
    waiting: int = 0
    pending: int = 0
    consumers: list[dict] = field(default_factory=list)
    live_workers: list[str] = field(default_factory=list)


class QueueInspector:
    """Looks into the Redis streams of the queues and the workers' heartbeats (no side effects,
    except `heartbeat`/`forget`, which the workers themselves call)."""

    def __init__(self, redis: Redis, prefix: str):
        self.redis, self.prefix = redis, prefix

    def _worker_key(self, queue: str, consumer: str) -> str:
        return f"{self.prefix}workers:{queue}:{consumer}"

    async def heartbeat(self, queue: str, consumer: str, ttl: float) -> None:
        await self.redis.set(self._worker_key(queue, consumer), "alive", px=int(ttl * 1000))

    async def forget(self, queue: str, consumer: str) -> None:
        await self.redis.delete(self._worker_key(queue, consumer))

    async def live_workers(self, queue: str) -> list[str]:
        prefix = self._worker_key(queue, "")
        keys = [k async for k in self.redis.scan_iter(match=prefix + "*", count=500)]
        return sorted(k.decode()[len(prefix):] for k in keys)

    async def _group(self, stream: str) -> dict | None:
        try:
            groups = await self.redis.xinfo_groups(stream)
        except ResponseError:  # no such stream yet
            return None
        return next((g for g in groups if _text(g["name"]) == GROUP), None)

    async def state(self, queue: str) -> QueueState:
        stream = stream_name(self.prefix, queue)
        state = QueueState(queue, length=await self.redis.xlen(stream), live_workers=await self.live_workers(queue))
        group = await self._group(stream)
        if group is None:
            state.waiting = state.length
            return state
        state.pending = group["pending"]
        lag = group.get("lag")
        state.waiting = lag if lag is not None else len(await self._unread(stream, group))
        state.consumers = [
            {"name": _text(c["name"]), "pending": c["pending"], "idle_ms": c["idle"]}
            for c in await self.redis.xinfo_consumers(stream, GROUP)
        ]
        return state

    async def _unread(self, stream: str, group: dict | None) -> list:
        start = "-" if group is None else "(" + _text(group["last-delivered-id"])
        return await self.redis.xrange(stream, start, "+", count=SCAN_LIMIT)

    async def in_flight(self, queue: str) -> list[dict]:
        """The arguments of every task not yet acknowledged: waiting to be read, or being worked on."""
        stream = stream_name(self.prefix, queue)
        group = await self._group(stream)
        entries = list(await self._unread(stream, group))
        if group is not None and group["pending"]:
            pending = await self.redis.xpending_range(stream, GROUP, "-", "+", SCAN_LIMIT)
            async with self.redis.pipeline(transaction=False) as pipe:
                for item in pending:
                    pipe.xrange(stream, item["message_id"], item["message_id"])
                for found in await pipe.execute():
                    entries.extend(found)
        return [_kwargs(fields) for _id, fields in entries if fields]


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _kwargs(fields: dict) -> dict:
    try:
        message = json.loads(fields[b"data"])
    except (KeyError, ValueError):
        return {}
    return {"task": message.get("task_name"), **(message.get("kwargs") or {})}


class RedisWorkerLiveness(WorkerLiveness):
    """A worker is alive while one of its heartbeat keys (one per queue it consumes) exists."""

    def __init__(self, redis: Redis, prefix: str):
        self.redis, self.prefix = redis, prefix

    async def alive(self, worker_id: str) -> bool:
        keys = [f"{self.prefix}workers:{queue}:{worker_id}" for queue in QUEUES]
        try:
            return bool(await self.redis.exists(*keys))
        except RedisError:  # cannot tell: never take a chunk from a worker that may be alive
            return True
