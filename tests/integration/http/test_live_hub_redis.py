"""The web process's live hub on a Redis of the test's own, which the test kills and restarts:
the hub reconnects by itself, and a watcher learns that sequence numbers were reset (resync)."""
from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time

import pytest
from redis.asyncio import Redis

from buko.adapters.live.hub import LiveHub, RedisHubSource, Resync
from buko.adapters.live.redis import RedisLiveEvents

pytestmark = pytest.mark.redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(port: int, workdir) -> subprocess.Popen:
    server = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", str(workdir)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)


async def publish_retrying(live: RedisLiveEvents, book_id: str, event: dict) -> int:
    async with asyncio.timeout(20):
        while True:
            try:
                return await live.publish(book_id, event)
            except Exception:  # Redis is coming back
                await asyncio.sleep(0.1)


async def test_the_hub_rides_out_a_redis_restart_and_tells_watchers_to_resync(tmp_path):
    port = free_port()
    server = start_redis(port, tmp_path)
    redis = Redis.from_url(f"redis://127.0.0.1:{port}/0")
    live = RedisLiveEvents(redis, "hubtest:")
    source = RedisHubSource(redis, live, "hubtest:")
    source.RECONNECT_DELAY = 0.1
    hub = LiveHub(source, queue_size=100)
    await hub.start()
    try:
        for n in range(3):
            await live.publish("b1", {"type": "delta", "index": 0, "text": f"{n} "})
        async with hub.watch("b1", after=0) as watch:
            events = watch.events()
            first = [await anext(events) for _ in range(3)]
            assert [e["seq"] for e in first] == [1, 2, 3]
            await live.publish("b1", {"type": "delta", "index": 0, "text": "3 "})
            assert (await anext(events))["seq"] == 4  # live, through the hub's one connection

            server.kill()
            server.wait(10)
            server = start_redis(port, tmp_path)  # empty: every sequence starts again at 1

            async def keep_publishing() -> None:
                while True:
                    await publish_retrying(live, "b1", {"type": "delta", "index": 0, "text": "x "})
                    await asyncio.sleep(0.2)

            publisher = asyncio.create_task(keep_publishing())
            try:
                with pytest.raises(Resync):
                    async with asyncio.timeout(30):
                        while True:
                            await anext(events)
            finally:
                publisher.cancel()
        async with hub.watch("b1", after=0) as fresh:  # a fresh start sees the new epoch's events
            assert fresh.backlog and fresh.backlog[0]["seq"] == 1
            assert fresh.backlog[0]["epoch"] != first[0]["epoch"]
    finally:
        await hub.stop()
        await redis.aclose()
        server.kill()
        server.wait(10)
