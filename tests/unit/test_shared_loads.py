"""Reads that many sockets need at once are made once, kept for their TTL only, and never kept when they fail."""
from __future__ import annotations

import asyncio

import pytest

from buko.entrypoints.http.ws import SharedLoads


class Source:
    def __init__(self) -> None:
        self.calls = 0
        self.fail = False

    async def load(self) -> str:
        self.calls += 1
        await asyncio.sleep(0.01)
        if self.fail:
            raise ConnectionError("database down")
        return f"book v{self.calls}"


async def test_callers_asking_together_share_one_load():
    shared, source = SharedLoads(ttl=1.0), Source()
    got = await asyncio.gather(*(shared.get(("open", "b1", 0), source.load) for _ in range(50)))
    assert set(got) == {"book v1"} and source.calls == 1 and shared.loads["open"] == 1


async def test_a_load_is_kept_for_its_ttl_only():
    clock = [100.0]
    shared, source = SharedLoads(ttl=1.0, monotonic=lambda: clock[0]), Source()
    assert await shared.get(("open", "b1", 0), source.load) == "book v1"
    clock[0] += 0.5
    assert await shared.get(("open", "b1", 0), source.load) == "book v1"
    clock[0] += 0.6
    assert await shared.get(("open", "b1", 0), source.load) == "book v2"


async def test_a_failed_load_is_not_kept_and_every_waiter_sees_the_failure():
    shared, source = SharedLoads(ttl=10.0), Source()
    source.fail = True
    results = await asyncio.gather(*(shared.get(("owner", "b1"), source.load) for _ in range(5)),
                                   return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results) and source.calls == 1
    source.fail = False
    assert await shared.get(("owner", "b1"), source.load) == "book v2"


async def test_a_cancelled_asker_does_not_cancel_the_load_the_others_wait_for():
    shared, source = SharedLoads(ttl=1.0), Source()
    first = asyncio.create_task(shared.get(("open", "b1", 0), source.load))
    await asyncio.sleep(0)
    second = asyncio.create_task(shared.get(("open", "b1", 0), source.load))
    await asyncio.sleep(0)
    first.cancel()
    assert await second == "book v1"
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_expired_entries_are_dropped_so_books_are_not_held_in_memory():
    clock = [100.0]
    shared, source = SharedLoads(ttl=1.0, monotonic=lambda: clock[0]), Source()
    for n in range(100):
        await shared.get(("event", "b1", n), source.load, ttl=30.0)
    assert len(shared) == 100
    clock[0] += 31 + SharedLoads.PRUNE_EVERY
    await shared.get(("open", "b2", 0), source.load)
    assert len(shared) == 1
