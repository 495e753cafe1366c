"""Live events across nodes: Redis pub/sub per book, plus a buffer stream keyed by sequence number.

Publishing is one Lua script: INCR the book's sequence, append the event to its buffer stream with
the sequence as the entry id, and PUBLISH it. So buffer order, publish order and sequence order
are the same even when several workers write lanes of one book at once.

Every event also carries the book's epoch. A sequence that starts again at 1 (Redis restarted
empty, or the keys expired) starts a new epoch, with a fresh buffer, so a follower that kept an
old (epoch, seq) notices and re-syncs instead of silently dropping events until the count catches up.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from buko.application.ports import LiveEvents

log = logging.getLogger(__name__)
LOST = (RedisConnectionError, RedisTimeoutError, OSError)

_PUBLISH = """
local seq = redis.call('INCR', KEYS[1])
local epoch = false
if seq == 1 then
  redis.call('DEL', KEYS[2])
else
  epoch = redis.call('GET', KEYS[4])
end
if not epoch then
  epoch = ARGV[4]
  redis.call('SET', KEYS[4], epoch)
end
local payload = string.sub(ARGV[1], 1, -2) .. ',"seq":' .. seq .. ',"epoch":"' .. epoch .. '"}'
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], seq .. '-1', 'e', payload)
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ARGV[3]) end
redis.call('PUBLISH', KEYS[3], payload)
return seq
"""


class RedisLiveEvents(LiveEvents):
    """LiveEvents for many processes. A subscriber gets buffered events with seq > `after`, then
    live ones, with no gap and no repeat: it subscribes before it reads the buffer, skips what it
    has seen, and fills any gap in the live feed from the buffer. It rides out a Redis outage
    (reconnecting, then catching up from the buffer) and re-syncs when the epoch changed."""

    RETRY = (0.2, 0.5, 1.0, 2.0)
    CHECK_EVERY = 5  # quiet seconds between position checks

    def __init__(self, redis: Redis, prefix: str = "buko:", buffer_events: int = 20_000, ttl_seconds: int = 86_400):
        self.redis, self.prefix = redis, prefix
        self.buffer_events, self.ttl = buffer_events, ttl_seconds
        self._script = redis.register_script(_PUBLISH)

    def _keys(self, book_id: str) -> tuple[str, str, str]:
        base = f"{self.prefix}live:{book_id}"
        return f"{base}:seq", f"{base}:buffer", f"{base}:channel"

    def _epoch_key(self, book_id: str) -> str:
        return f"{self.prefix}live:{book_id}:epoch"

    async def publish(self, book_id: str, event: dict) -> int:
        body = json.dumps({k: v for k, v in event.items() if k not in ("seq", "epoch")}, separators=(",", ":"))
        if body == "{}":
            body = '{"type":null}'
        keys = (*self._keys(book_id), self._epoch_key(book_id))
        args = [body, self.buffer_events, self.ttl, uuid.uuid4().hex[:16]]
        try:
            return int(await self._script(keys=keys, args=args))
        except RedisConnectionError:
            # After Redis restarted, each pooled connection from before fails once ("Connection
            # closed by server"), and the event was lost in the middle of an epoch: a hole in a
            # chunk's text that no watcher is told about. Once more, on a fresh connection (a
            # Redis that died mid-call can only have this event again in a new epoch).
            return int(await self._script(keys=keys, args=args))

    async def buffered(self, book_id: str, after: int = 0, upto: int | None = None) -> list[dict]:
        """Buffered events with `after` < seq (<= `upto`), in order."""
        end = f"{upto}-1" if upto is not None else "+"
        entries = await self.redis.xrange(self._keys(book_id)[1], f"{after + 1}-0", end)
        return [json.loads(fields[b"e"]) for _id, fields in entries]

    async def last_seq(self, book_id: str) -> int:
        return int(await self.redis.get(self._keys(book_id)[0]) or 0)

    async def position(self, book_id: str) -> tuple[str, int]:
        epoch, seq = await self.redis.mget(self._epoch_key(book_id), self._keys(book_id)[0])
        if not seq:
            return "", 0
        return (epoch.decode() if epoch else ""), int(seq)

    async def subscribe(self, book_id: str, after: int = 0, epoch: str | None = None) -> AsyncIterator[dict]:
        follower = _Follower(after, epoch)
        outage = 0
        while True:
            pubsub = self.redis.pubsub()
            try:
                await self._listen(pubsub, book_id)
                outage = 0
                async for event in self._catch_up(book_id, follower):
                    yield event
                quiet = 0
                while True:
                    message = await _next(pubsub, 1.0)
                    if message is None or message["type"] != "message":
                        quiet += 1
                        if quiet % self.CHECK_EVERY == 0:
                            # redis-py may reconnect a subscription by itself, losing what was
                            # published meanwhile: a quiet follower looks at the position now and then.
                            async for event in self._catch_up(book_id, follower):
                                yield event
                        continue
                    quiet = 0
                    async for event in self._live(book_id, follower, json.loads(message["data"])):
                        yield event
            except LOST as lost:
                if outage == 0:
                    log.warning("live events of book %s: Redis unavailable (%s); reconnecting", book_id, lost)
                    yield {"type": "reconnecting", "epoch": follower.epoch or "", "seq": follower.last}
                await asyncio.sleep(self.RETRY[min(outage, len(self.RETRY) - 1)])
                outage += 1
            finally:
                await asyncio.shield(_close(pubsub))

    async def _listen(self, pubsub, book_id: str) -> None:
        await pubsub.subscribe(self._keys(book_id)[2])
        async with asyncio.timeout(10):
            while (await _next(pubsub, 1.0) or {}).get("type") != "subscribe":
                pass  # until Redis confirms: from here on no published event can be missed

    async def _catch_up(self, book_id: str, follower: _Follower) -> AsyncIterator[dict]:
        """After (re)subscribing: a resync if the epoch is not the follower's, then the buffer."""
        current, seq = await self.position(book_id)
        if follower.stale(current, seq):
            yield follower.resync(current)
        follower.epoch = current
        for event in await self.buffered(book_id, follower.last):
            if follower.accept(event):
                yield event

    async def _live(self, book_id: str, follower: _Follower, event: dict) -> AsyncIterator[dict]:
        if event.get("epoch") != follower.epoch:
            if follower.epoch or follower.last:  # the numbering restarted under the follower
                yield follower.resync(event.get("epoch", ""))
            follower.epoch = event.get("epoch", "")
        if event["seq"] <= follower.last:
            return
        if event["seq"] > follower.last + 1:  # missed while reading the buffer or dropped: fill from it
            for missed in await self.buffered(book_id, follower.last, event["seq"] - 1):
                if follower.accept(missed):
                    yield missed
        if follower.accept(event):
            yield event


class _Follower:
    """Where one subscriber is: the epoch it follows and the last sequence number it has seen."""

    def __init__(self, after: int, epoch: str | None):
        self.last, self.epoch = after, epoch

    def stale(self, current: str, seq: int) -> bool:
        if self.epoch is None:  # no epoch given: a position beyond the current count is from a lost epoch
            return self.last > seq
        # A follower that has seen nothing yet ("" and 0) simply starts with the current epoch.
        return self.epoch != current and (self.epoch != "" or self.last > 0)

    def resync(self, current: str) -> dict:
        self.epoch, self.last = current, 0
        return {"type": "resync", "epoch": current, "seq": 0}

    def accept(self, event: dict) -> bool:
        if event.get("epoch", self.epoch) != self.epoch or event["seq"] <= self.last:
            return False
        self.last = event["seq"]
        return True


async def _next(pubsub, timeout: float) -> dict | None:
    message = await pubsub.get_message(timeout=timeout)
    # redis-py's read timeout can swallow a cancellation that lands as it expires: honour it here.
    if asyncio.current_task().cancelling():
        raise asyncio.CancelledError
    return message


async def _close(pubsub) -> None:
    # Dropping the connection unsubscribes; waiting for an UNSUBSCRIBE reply could hang when
    # the subscription was cancelled halfway.
    with contextlib.suppress(Exception):
        async with asyncio.timeout(2):
            await pubsub.aclose()
