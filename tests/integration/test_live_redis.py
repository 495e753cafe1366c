"""Live events across processes on a real Redis: buffered then live, resumable, no gap, no repeat."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
from redis.asyncio import Redis

from buko.adapters.live.redis import RedisLiveEvents
from buko.application.commands import WriteBook
from buko.domain.books.book import BookStatus
from buko.entrypoints.worker.runtime import running
from tests.integration.conftest_persistence import postgresql_url  # noqa: F401  (fixture)
from tests.integration.infra import (  # noqa: F401  (fixture)
    REDIS_URL,
    ROOT,
    WorkerProcess,
    approved_book,
    container_for,
    env_for,
    redis_prefix,
    settings_for,
    wait_for_event,
    wait_for_status,
)

pytestmark = pytest.mark.redis


@pytest.fixture
async def live(redis_prefix):  # noqa: F811
    redis = Redis.from_url(REDIS_URL)
    yield RedisLiveEvents(redis, redis_prefix)
    await redis.aclose()


async def take(events, n: int) -> list[dict]:
    async with asyncio.timeout(10):
        return [await anext(events) for _ in range(n)]


async def test_a_resume_from_a_sequence_number_gets_exactly_the_missing_events(live):
    for i in range(10):
        assert await live.publish("b1", {"type": "delta", "index": 0, "text": f"{i} "}) == i + 1
    events = live.subscribe("b1", after=4)
    got = await take(events, 6)
    assert [e["seq"] for e in got] == list(range(5, 11))
    assert [e["text"] for e in got] == [f"{i} " for i in range(4, 10)]
    await live.publish("b1", {"type": "delta", "index": 0, "text": "live"})
    (event,) = await take(events, 1)
    assert {k: v for k, v in event.items() if k != "epoch"} == {"type": "delta", "index": 0, "text": "live", "seq": 11}
    assert event["epoch"] == got[0]["epoch"] == (await live.position("b1"))[0]
    await events.aclose()


async def test_concurrent_publishers_and_a_late_joiner_see_one_gapless_order(live):
    early = live.subscribe("b2")
    first = asyncio.create_task(take(early, 200))
    await asyncio.sleep(0.2)

    async def lane(name: str) -> None:
        for i in range(50):
            await live.publish("b2", {"type": "delta", "index": 0, "text": f"{name}{i}"})

    lanes = [asyncio.create_task(lane(name)) for name in "abcd"]
    await asyncio.sleep(0.01)
    late = await take(live.subscribe("b2"), 200)  # joins while the lanes publish
    await asyncio.gather(*lanes)
    for got in (await first, late):
        assert [e["seq"] for e in got] == list(range(1, 201))
        for name in "abcd":  # each publisher's own order is kept
            assert [e["text"] for e in got if e["text"][0] == name] == [f"{name}{i}" for i in range(50)]


def reassemble(events: list[dict]) -> dict[int, str]:
    texts: dict[int, str] = {}
    for event in events:
        if event.get("type") in ("chunk_started", "chunk_restarted"):
            texts[event["index"]] = ""
        elif event.get("type") == "delta":
            texts[event["index"]] = texts.get(event["index"], "") + event["text"]
    return texts  # exactly what was streamed: the stored text, character for character


def listener(book_id: str, prefix: str, *extra: str) -> tuple[subprocess.Popen, int]:
    """A subscriber process, and the book's last sequence number when it started."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.live_listener", REDIS_URL, prefix, book_id, *extra],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    ready = json.loads(proc.stdout.readline())
    assert ready["ready"]
    return proc, ready["last_seq_at_start"]


@pytest.mark.postgres
@pytest.mark.slow
async def test_subscribers_in_other_processes_follow_a_book_a_worker_writes(
    postgresql_url, redis_prefix, tmp_path  # noqa: F811
):
    settings = settings_for(postgresql_url, redis_prefix, chunk_words=300)
    env = env_for(postgresql_url, redis_prefix, tmp_path / "data", BUKO_OFFLINE_WPS=150, BUKO_CHUNK_WORDS=300)
    container = container_for(settings)
    worker = WorkerProcess(env, tmp_path / "worker.log")
    listeners = []
    try:
        worker.wait_ready()
        async with running(container, migrate=False):
            book_id = await approved_book(container, words=2000, chapters=2)
            listeners.append(listener(book_id, redis_prefix))  # from the start
            events = container.gateways.live().subscribe(book_id)
            await container.use_cases.write_book()(WriteBook(book_id, lanes=2))
            await wait_for_event(events, "delta", index=1)
            await events.aclose()
            # joins mid-chunk, then drops its connection after 15 events and resumes from its last seq
            listeners.append(listener(book_id, redis_prefix, "--resume-after-events", "15"))
            book = await wait_for_status(container, book_id, BookStatus.WRITTEN, timeout=60)
            assert book.status is BookStatus.WRITTEN, worker.output()
        outputs = [proc.communicate(timeout=30)[0].splitlines() for proc, _ in listeners]
    finally:
        worker.ensure_stopped()
        for proc, _ in listeners:
            proc.kill()
    stored = {c.index: c.text for c in book.chunks}
    for lines in outputs:
        records = [json.loads(line) for line in lines]
        received = [r for r in records if "seq" in r]
        assert [e["seq"] for e in received] == list(range(1, len(received) + 1))  # no gap, no repeat
        assert received[-1]["type"] == "book_written"
        assert reassemble(received) == stored
    late = [json.loads(line) for line in outputs[1]]
    joined_at, final = listeners[1][1], late[-1]["seq"]
    assert 0 < joined_at < final  # it joined while the book was being written: buffered, then live
    resumed = [r["resumed_from"] for r in late if "resumed_from" in r]
    assert resumed == [15]


async def test_an_event_missed_on_the_live_feed_is_filled_from_the_buffer(live):
    await live.publish("b3", {"type": "delta", "index": 0, "text": "a"})
    events = live.subscribe("b3")
    assert (await take(events, 1))[0]["seq"] == 1
    seq_key, buffer_key, _channel = live._keys("b3")
    await live.redis.incr(seq_key)  # seq 2 reaches the buffer but not pub/sub (a dropped message)
    await live.redis.xadd(buffer_key, {"e": '{"type":"delta","index":0,"text":"b","seq":2}'}, id="2-1")
    await live.publish("b3", {"type": "delta", "index": 0, "text": "c"})
    assert [(e["seq"], e["text"]) for e in await take(events, 2)] == [(2, "b"), (3, "c")]
    await events.aclose()
