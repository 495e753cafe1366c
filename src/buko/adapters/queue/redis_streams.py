"""Production queues: one taskiq-redis stream broker per queue, with acknowledged delivery.

A task is acknowledged only after it ran. A task whose worker died stays pending in the stream's
consumer group under that worker's name; as soon as the worker's heartbeat key is gone (workers
heartbeat every few seconds) another worker claims it (XCLAIM) and runs it, and the dead worker is
removed from the group once nothing is left pending under its name. A live worker's task is never
taken from it, however long it runs. A Redis that comes back empty (no stream, no group) has its
stream and group made again; the sweeper re-queues what was lost with it.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from taskiq import AckableMessage, AsyncBroker
from taskiq_redis import RedisStreamBroker

from buko.application.commands import QUEUES

log = logging.getLogger(__name__)
GROUP = "buko"
HEARTBEAT_SECONDS = 5.0  # workers refresh their heartbeat key this often; it lives HEARTBEAT_TTL beats
HEARTBEAT_TTL = 3  # beats a heartbeat key lives
DEAD_AFTER = 2  # beats a task must have been idle before it is taken from a worker without heartbeat
FORGET_AFTER = 6  # beats a worker without heartbeat, holding nothing, stays idle before it leaves the group
SCAN_PENDING = 100
ACK_RETRIES = (0.2, 0.5, 1.0, 2.0, 4.0)


def stream_name(prefix: str, queue: str) -> str:
    return f"{prefix}queue:{queue}"


def heartbeat_key(prefix: str, queue: str, consumer: str) -> str:
    return f"{prefix}workers:{queue}:{consumer}"


class AcknowledgedStreamBroker(RedisStreamBroker):
    """RedisStreamBroker that takes over the tasks of dead workers and survives Redis restarts.

    It takes one message at a time, only when the receiver can start it (so nothing is stranded
    on shutdown): first a task of a worker whose heartbeat is gone, else a new one.
    """

    def __init__(self, url: str, queue: str, stream: str, maxlen: int, idle_timeout_ms: int,
                 prefix: str | None = None, heartbeat_seconds: float = HEARTBEAT_SECONDS, **kwargs):
        super().__init__(
            url,
            queue_name=stream,
            consumer_group_name=GROUP,
            consumer_id="0",  # a group created after the first kick (or made again) still sees it
            maxlen=maxlen,
            approximate=True,
            idle_timeout=idle_timeout_ms,
            xread_count=1,
            xread_block=1000,
            unacknowledged_batch_size=1,
            **kwargs,
        )
        self.queue = queue
        self.prefix = prefix if prefix is not None else stream[: -len(stream_name("", queue))]
        self.heartbeat = heartbeat_seconds
        self.dead_after_ms = int(min(idle_timeout_ms, DEAD_AFTER * heartbeat_seconds * 1000))
        self.forget_after_ms = int(FORGET_AFTER * heartbeat_seconds * 1000)
        self.reap_every = min(heartbeat_seconds, idle_timeout_ms / 1000)
        self._next_reap = 0.0
        self._quiet_until = 0.0  # after Redis comes back, heartbeats need a moment to come back too

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        async with Redis(connection_pool=self.connection_pool) as redis:
            outage = False
            while True:
                try:
                    message = await self._read(redis)
                    outage = False
                except ResponseError as error:
                    _honour_cancellation()
                    if "NOGROUP" in str(error):
                        log.warning("queue %s: its stream or consumer group is gone (Redis lost its data?); "
                                    "making them again", self.queue)
                        await self._make_group()
                        continue
                    if not outage:  # an error reply is no reason for the worker to stop: log it, go on
                        log.error("queue %s: Redis answered with an error (%s); retrying", self.queue, error)
                    outage = True
                    await asyncio.sleep(1.0)
                    continue
                except (RedisError, OSError) as lost:  # ride out a Redis restart
                    _honour_cancellation()
                    if not outage:
                        log.warning("queue %s: Redis unavailable (%s); retrying", self.queue, lost)
                    outage = True
                    self._quiet_until = time.monotonic() + HEARTBEAT_TTL * self.heartbeat
                    await asyncio.sleep(1.0)
                    continue
                _honour_cancellation()
                if message is not None:
                    yield message

    async def _make_group(self) -> None:
        try:
            await self._declare_consumer_group()
        except (RedisError, OSError) as lost:
            log.warning("queue %s: could not make the consumer group yet (%s)", self.queue, lost)
            await asyncio.sleep(1.0)

    async def _read(self, redis: Redis) -> AckableMessage | None:
        """One message, only when the receiver can start it: a dead worker's one first, else a new one."""
        if time.monotonic() >= max(self._next_reap, self._quiet_until):
            orphan = await self._take_from_the_dead(redis)
            if orphan is not None:
                return orphan
            self._next_reap = time.monotonic() + self.reap_every
        fetched = await redis.xreadgroup(GROUP, self.consumer_name, {self.queue_name: ">"}, block=self.block, count=1)
        for _stream, messages in fetched or ():
            for msg_id, fields in messages:
                return self._ackable(msg_id, fields)
        return None

    async def _take_from_the_dead(self, redis: Redis) -> AckableMessage | None:
        """Claim one task pending under a worker whose heartbeat is gone; forget dead idle workers."""
        pending = await redis.xpending_range(
            self.queue_name, GROUP, "-", "+", SCAN_PENDING, idle=self.dead_after_ms
        )
        owners = {_text(p["consumer"]) for p in pending} - {self.consumer_name}
        dead = await self._without_heartbeat(redis, owners)
        for entry in pending:
            owner = _text(entry["consumer"])
            if owner not in dead:
                continue
            claimed = await redis.xclaim(
                self.queue_name, GROUP, self.consumer_name, self.dead_after_ms, [entry["message_id"]]
            )
            for msg_id, fields in claimed:
                if fields:
                    log.warning("redelivering abandoned task %s on %s: its worker %s is gone",
                                _text(msg_id), self.queue, owner)
                    return self._ackable(msg_id, fields)
                await redis.xack(self.queue_name, GROUP, msg_id)  # trimmed from the stream: nothing to run
        await self._forget_the_dead(redis)
        return None

    async def _without_heartbeat(self, redis: Redis, consumers: set[str]) -> set[str]:
        if not consumers:
            return set()
        names = sorted(consumers)
        async with redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.exists(heartbeat_key(self.prefix, self.queue, name))
            found = await pipe.execute()
        return {name for name, alive in zip(names, found, strict=True) if not alive}

    async def _forget_the_dead(self, redis: Redis) -> None:
        """Workers killed with kill -9 would stay in the group forever: remove those that hold nothing."""
        consumers = await redis.xinfo_consumers(self.queue_name, GROUP)
        idle = {_text(c["name"]) for c in consumers if not c["pending"] and c["idle"] >= self.forget_after_ms}
        for name in await self._without_heartbeat(redis, idle - {self.consumer_name}):
            await redis.xgroup_delconsumer(self.queue_name, GROUP, name)
            log.info("queue %s: removed the dead worker %s from the group", self.queue, name)

    def _ackable(self, msg_id, fields) -> AckableMessage:
        return AckableMessage(data=fields[b"data"], ack=self._patient_ack(msg_id))

    def _patient_ack(self, msg_id) -> Callable[[], Awaitable[None]]:
        ack = self._ack_generator(id=msg_id, queue_name=self.queue_name)

        async def patiently() -> None:
            # An ack lost to a Redis restart would leave the task pending under a live worker,
            # where nobody takes it: try again for a few seconds.
            for delay in ACK_RETRIES:
                try:
                    return await ack()
                except (RedisError, OSError) as lost:
                    log.warning("queue %s: could not acknowledge %s (%s); retrying", self.queue, _text(msg_id), lost)
                    await asyncio.sleep(delay)
            await ack()

        return patiently

    async def forget_consumer(self) -> None:
        """Remove this worker from the consumer group if it holds no pending task (clean shutdown)."""
        async with Redis(connection_pool=self.connection_pool) as redis:
            mine = await redis.xpending_range(self.queue_name, GROUP, "-", "+", 1, consumername=self.consumer_name)
            if not mine:
                await redis.xgroup_delconsumer(self.queue_name, GROUP, self.consumer_name)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


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
            prefix=settings.redis_prefix,
            heartbeat_seconds=settings.worker_heartbeat_seconds,
            max_connection_pool_size=settings.worker_concurrency + 8,
        )
        for queue in QUEUES
    }
