"""Production queues: one taskiq-redis stream broker per queue, with acknowledged delivery.

A task is acknowledged only after it ran; a task whose worker died stays pending in the stream's
consumer group and is claimed again (XAUTOCLAIM) once it has been idle for `idle_timeout`, which
is kept above the longest chunk so that a live worker's task is not taken from it.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from taskiq import AckableMessage, AsyncBroker
from taskiq_redis import RedisStreamBroker

from buko.application.commands import QUEUES

log = logging.getLogger(__name__)
GROUP = "buko"


def stream_name(prefix: str, queue: str) -> str:
    return f"{prefix}queue:{queue}"


class AcknowledgedStreamBroker(RedisStreamBroker):
    """RedisStreamBroker that also reclaims abandoned tasks when the stream is quiet.

    taskiq-redis only looks for idle pending tasks after a read that returned new messages, so a
    task left behind by a killed worker on an otherwise idle queue would wait for new traffic.
    This broker takes one message at a time, only when the receiver can start it (so nothing is
    stranded on shutdown): first a task abandoned for `idle_timeout` (XAUTOCLAIM), else a new one.
    """

    def __init__(self, url: str, queue: str, stream: str, maxlen: int, idle_timeout_ms: int, **kwargs):
        super().__init__(
            url,
            queue_name=stream,
            consumer_group_name=GROUP,
            consumer_id="0",  # a group created after the first kick still sees it
            maxlen=maxlen,
            approximate=True,
            idle_timeout=idle_timeout_ms,
            xread_count=1,
            xread_block=1000,
            unacknowledged_batch_size=1,
            **kwargs,
        )
        self.queue = queue

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        async with Redis(connection_pool=self.connection_pool) as redis:
            while True:
                try:
                    message = await self._read(redis)
                except (RedisConnectionError, RedisTimeoutError) as lost:  # ride out a Redis restart
                    _honour_cancellation()
                    log.warning("queue %s: Redis unavailable (%s); retrying", self.queue, lost)
                    await asyncio.sleep(1.0)
                    continue
                _honour_cancellation()
                if message is not None:
                    yield message

    async def _read(self, redis: Redis) -> AckableMessage | None:
        """One message, only when the receiver can start it: an abandoned one first, else a new one."""
        _next, claimed, *_ = await redis.xautoclaim(
            self.queue_name, GROUP, self.consumer_name, min_idle_time=self.idle_timeout, count=1
        )
        for msg_id, fields in claimed:
            if fields:  # an entry trimmed from the stream comes back empty
                log.warning("redelivering abandoned task %s on %s", msg_id, self.queue)
                return self._ackable(msg_id, fields)
        fetched = await redis.xreadgroup(GROUP, self.consumer_name, {self.queue_name: ">"}, block=self.block, count=1)
        for _stream, messages in fetched or ():
            for msg_id, fields in messages:
                return self._ackable(msg_id, fields)
        return None

    def _ackable(self, msg_id, fields) -> AckableMessage:
        return AckableMessage(data=fields[b"data"], ack=self._ack_generator(id=msg_id, queue_name=self.queue_name))

    async def forget_consumer(self) -> None:
        """Remove this worker from the consumer group if it holds no pending task (clean shutdown)."""
        async with Redis(connection_pool=self.connection_pool) as redis:
            mine = await redis.xpending_range(self.queue_name, GROUP, "-", "+", 1, consumername=self.consumer_name)
            if not mine:
                await redis.xgroup_delconsumer(self.queue_name, GROUP, self.consumer_name)


def _honour_cancellation() -> None:
    # redis-py's read timeout can swallow a cancellation that lands as it expires (the worker
    # stopping while a blocking XREADGROUP waits): without this the read loop would go on forever.
    if asyncio.current_task().cancelling():
        raise asyncio.CancelledError


def redis_brokers(settings) -> dict[str, AsyncBroker]:
    """One stream broker per queue, on REDIS_URL; streams are named `<prefix>queue:<queue>`."""
    idle_ms = int(settings.effective_queue_idle_timeout * 1000)
    return {
        queue: AcknowledgedStreamBroker(
            settings.redis_url,
            queue,
            stream_name(settings.redis_prefix, queue),
            settings.queue_maxlen,
            idle_ms,
            max_connection_pool_size=settings.worker_concurrency + 8,
        )
        for queue in QUEUES
    }
