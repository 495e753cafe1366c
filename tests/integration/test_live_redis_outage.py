"""Live events through a Redis that restarts empty: the follower reconnects, notices the new epoch
and re-syncs; a follower with a stale (epoch, seq) re-syncs instead of dropping events."""
from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from buko.adapters.live.redis import RedisLiveEvents
from tests.integration.private_redis import private_redis  # noqa: F401  (fixture)

pytestmark = pytest.mark.redis


async def take(events, n: int, timeout: float = 15) -> list[dict]:
    async with asyncio.timeout(timeout):
        return [await anext(events) for _ in range(n)]


async def test_a_follower_rides_out_a_redis_restart_and_resyncs_to_the_new_epoch(private_redis):  # noqa: F811
    redis = Redis.from_url(private_redis.url)
    live = RedisLiveEvents(redis, "t:")
    try:
        for i in range(3):
            await live.publish("b", {"type": "delta", "text": str(i)})
        old_epoch, _ = await live.position("b")
        events = live.subscribe("b")
        assert [e["seq"] for e in await take(events, 3)] == [1, 2, 3]
        await asyncio.to_thread(private_redis.restart_empty, 1.0)
        (notice,) = await take(events, 1)
        assert notice == {"type": "reconnecting", "epoch": old_epoch, "seq": 3}
        published = None
        for _ in range(100):  # the publisher's own connection comes back too
            try:
                published = await live.publish("b", {"type": "delta", "text": "after"})
                break
            except Exception:
                await asyncio.sleep(0.1)
        assert published == 1
        new_epoch, seq = await live.position("b")
        assert new_epoch != old_epoch and seq == 1
        resync, first = await take(events, 2)
        assert resync == {"type": "resync", "epoch": new_epoch, "seq": 0}
        assert (first["text"], first["seq"], first["epoch"]) == ("after", 1, new_epoch)
        await live.publish("b", {"type": "delta", "text": "more"})
        assert [(e["text"], e["seq"]) for e in await take(events, 1)] == [("more", 2)]
        await events.aclose()
    finally:
        await redis.aclose()


async def test_a_stale_position_resyncs_and_nothing_is_silently_dropped(private_redis):  # noqa: F811
    redis = Redis.from_url(private_redis.url)
    live = RedisLiveEvents(redis, "t:")
    try:
        for i in range(5):
            await live.publish("b", {"type": "delta", "text": str(i)})
        old_epoch, old_seq = await live.position("b")
        await redis.flushdb()  # the data is lost; the numbering starts again
        await live.publish("b", {"type": "delta", "text": "fresh"})
        for kwargs in ({"after": old_seq, "epoch": old_epoch}, {"after": old_seq}):
            events = live.subscribe("b", **kwargs)
            resync, first = await take(events, 2)
            assert resync["type"] == "resync" and resync["seq"] == 0
            assert (first["text"], first["seq"]) == ("fresh", 1)
            await events.aclose()
        epoch, seq = await live.position("b")
        events = live.subscribe("b", after=seq, epoch=epoch)
        await live.publish("b", {"type": "delta", "text": "next"})
        assert [e["text"] for e in await take(events, 1)] == ["next"]  # same epoch: no resync
        await events.aclose()
    finally:
        await redis.aclose()


async def test_a_publish_after_redis_restarted_is_not_lost_on_a_connection_from_before(private_redis):  # noqa: F811
    """Each pooled connection from before the restart fails once: the event must still go out (the
    chaos test lost a delta in the middle of a chunk this way, 15 s after the restart)."""
    redis = Redis.from_url(private_redis.url)
    live = RedisLiveEvents(redis, "t:")
    try:
        await live.publish("b", {"type": "delta", "text": "before"})
        await asyncio.to_thread(private_redis.restart_empty, 0.2)
        assert await live.publish("b", {"type": "delta", "text": "after"}) == 1
        assert [e["text"] for e in await live.buffered("b")] == ["after"]
    finally:
        await redis.aclose()
