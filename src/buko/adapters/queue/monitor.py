"""QueueMonitor: the depth and consumers of each queue, from Redis or from the in-process brokers."""
from __future__ import annotations

from taskiq import AsyncBroker

from buko.adapters.queue.inspect import QueueInspector
from buko.application.commands import QUEUES
from buko.application.ports import QueueMonitor, QueueStatus


class RedisQueueMonitor(QueueMonitor):
    def __init__(self, redis, prefix: str):
        self.inspector = QueueInspector(redis, prefix)

    async def status(self) -> list[QueueStatus]:
        found = []
        for queue in QUEUES:
            state = await self.inspector.state(queue)
            found.append(QueueStatus(queue, state.waiting, state.pending, len(state.consumers),
                                     len(state.live_workers), "redis"))
        return found


class InProcessQueueMonitor(QueueMonitor):
    """The embedded setup: tasks run in this process as soon as they are sent (nothing waits)."""

    def __init__(self, brokers: dict[str, AsyncBroker]):
        self.brokers = brokers

    async def status(self) -> list[QueueStatus]:
        return [
            QueueStatus(queue, 0, len(getattr(self.brokers[queue], "_running_tasks", ())), 1, 1, "in-process")
            for queue in QUEUES
        ]
