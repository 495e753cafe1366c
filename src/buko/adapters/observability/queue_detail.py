"""The queues in detail (the Flower view): from the Redis streams, or from this process's brokers."""
from __future__ import annotations

import json
import time

from buko.adapters.observability.tasks import RUNNING
from buko.adapters.queue.inspect import QueueInspector
from buko.adapters.queue.redis_streams import GROUP, stream_name
from buko.application.commands import QUEUES
from buko.application.operations.ports import ConsumerInfo, InFlightTask, QueueDetail, QueueDetails

SHOWN = 200


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _task(fields: dict) -> tuple[str, dict, str]:
    try:
        message = json.loads(fields[b"data"])
    except (KeyError, TypeError, ValueError):
        return "?", {}, ""
    return message.get("task_name", "?"), message.get("kwargs") or {}, message.get("task_id", "")


class RedisQueueDetails(QueueDetails):
    def __init__(self, redis, prefix: str):
        self.redis, self.prefix = redis, prefix
        self.inspector = QueueInspector(redis, prefix)

    async def details(self) -> list[QueueDetail]:
        found = []
        now_ms = time.time() * 1000
        for queue in QUEUES:
            state = await self.inspector.state(queue)
            alive = set(state.live_workers)
            consumers = [ConsumerInfo(c["name"], int(c["pending"]), c["idle_ms"] / 1000, c["name"] in alive)
                         for c in state.consumers]
            consumers += [ConsumerInfo(name, 0, 0.0, True) for name in sorted(alive - {c.name for c in consumers})]
            in_flight = []
            if state.pending:
                stream = stream_name(self.prefix, queue)
                pending = await self.redis.xpending_range(stream, GROUP, "-", "+", SHOWN)
                for item in pending:
                    message_id = _text(item["message_id"])
                    entries = await self.redis.xrange(stream, message_id, message_id)
                    task, kwargs, task_id = _task(entries[0][1]) if entries else ("(trimmed)", {}, "")
                    queued_ms = int(message_id.split("-", 1)[0])
                    in_flight.append(InFlightTask(
                        queue, task, _text(item["consumer"]), max(0.0, (now_ms - queued_ms) / 1000),
                        item["time_since_delivered"] / 1000, str(kwargs.get("book_id", "")), kwargs.get("index"),
                        task_id))
            found.append(QueueDetail(queue, "redis", state.waiting, state.pending, consumers, in_flight))
        return found


class InProcessQueueDetails(QueueDetails):
    """The embedded setup: this process is the only worker; its running tasks are the ones in flight."""

    async def details(self) -> list[QueueDetail]:
        now = time.monotonic()
        found = []
        for queue in QUEUES:
            running = [InFlightTask(queue, name, "this process", now - started, now - started,
                                    str(kwargs.get("book_id", "")), kwargs.get("index"), task_id)
                       for task_id, (q, name, kwargs, started) in list(RUNNING.items()) if q == queue]
            found.append(QueueDetail(queue, "in-process", 0, len(running),
                                     [ConsumerInfo("this process", len(running), 0.0, True)], running))
        return found


def queue_details(redis, prefix: str) -> QueueDetails:
    return InProcessQueueDetails() if redis is None else RedisQueueDetails(redis, prefix)
