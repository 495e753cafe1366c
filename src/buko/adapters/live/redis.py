"""Live events across nodes: Redis pub/sub per book, plus a buffer stream keyed by sequence number.

Publishing is one Lua script: INCR the book's sequence, append the event to its buffer stream with
the sequence as the entry id, and PUBLISH it. So buffer order, publish order and sequence order
are the same even when several workers write lanes of one book at once.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from buko.application.ports import LiveEvents

_PUBLISH = """
local seq = redis.call('INCR', KEYS[1])
local payload = string.sub(ARGV[1], 1, -2) .. ',"seq":' .. seq .. '}'
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], seq .. '-1', 'e', payload)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('PUBLISH', KEYS[3], payload)
return seq
"""


class RedisLiveEvents(LiveEvents):
    """LiveEvents for many processes. A subscriber gets buffered events with seq > `after`, then
    live ones, with no gap and no repeat: it subscribes before it reads the buffer, skips what it
    has seen, and fills any gap in the live feed from the buffer."""

    def __init__(self, redis: Redis, prefix: str = "buko:", buffer_events: int = 20_000, ttl_seconds: int = 86_400):
        self.redis, self.prefix = redis, prefix
        self.buffer_events, self.ttl = buffer_events, ttl_seconds
        self._script = redis.register_script(_PUBLISH)

    def _keys(self, book_id: str) -> tuple[str, str, str]:
        base = f"{self.prefix}live:{book_id}"
        return f"{base}:seq", f"{base}:buffer", f"{base}:channel"

    async def publish(self, book_id: str, event: dict) -> int:
        body = json.dumps({k: v for k, v in event.items() if k != "seq"}, separators=(",", ":"))
        if body == "{}":
            body = '{"type":null}'
        return int(await self._script(keys=self._keys(book_id), args=[body, self.buffer_events, self.ttl]))

    async def buffered(self, book_id: str, after: int = 0, upto: int | None = None) -> list[dict]:
        """Buffered events with `after` < seq (<= `upto`), in order."""
        end = f"{upto}-1" if upto is not None else "+"
        entries = await self.redis.xrange(self._keys(book_id)[1], f"{after + 1}-0", end)
        return [json.loads(fields[b"e"]) for _id, fields in entries]

    async def last_seq(self, book_id: str) -> int:
        return int(await self.redis.get(self._keys(book_id)[0]) or 0)

    async def subscribe(self, book_id: str, after: int = 0) -> AsyncIterator[dict]:
        pubsub = self.redis.pubsub()
        channel = self._keys(book_id)[2]
        try:
            await pubsub.subscribe(channel)
            while (await _next(pubsub, 5.0) or {}).get("type") != "subscribe":
                pass  # until Redis confirms: from here on no published event can be missed
            last = after
            for event in await self.buffered(book_id, after):
                last = event["seq"]
                yield event
            while True:
                message = await _next(pubsub, 1.0)
                if message is None or message["type"] != "message":
                    continue
                event = json.loads(message["data"])
                if event["seq"] <= last:
                    continue
                if event["seq"] > last + 1:  # missed while reading the buffer or dropped: fill from it
                    for missed in await self.buffered(book_id, last, event["seq"] - 1):
                        last = missed["seq"]
                        yield missed
                last = event["seq"]
                yield event
        finally:
            await asyncio.shield(_close(pubsub))


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
