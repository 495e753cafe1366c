"""SIGTERM on an idle worker and on a busy one: it exits within 10 s and nothing is lost."""
from __future__ import annotations

import pytest
import redis as sync_redis

from buko.adapters.queue.inspect import QueueInspector
from buko.adapters.queue.redis_streams import GROUP, stream_name
from buko.application.commands import GENERATION_QUEUE, WriteBook
from buko.domain.books.book import BookStatus
from buko.domain.books.chunks import ChunkStatus
from buko.entrypoints.worker.runtime import running
from tests.integration.conftest_persistence import postgresql_url  # noqa: F401  (fixture)
from tests.integration.infra import (  # noqa: F401  (fixture)
    REDIS_URL,
    WorkerProcess,
    approved_book,
    container_for,
    env_for,
    expected_texts,
    redis_prefix,
    settings_for,
    wait_for_event,
    wait_for_status,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def test_an_idle_worker_stops_at_once_and_leaves_the_group(postgresql_url, redis_prefix, tmp_path):  # noqa: F811
    worker = WorkerProcess(env_for(postgresql_url, redis_prefix, tmp_path / "data"), tmp_path / "idle.log")
    try:
        worker.wait_ready()
        code, seconds = worker.stop()
    finally:
        worker.ensure_stopped()
    assert code == 0, worker.output()
    assert seconds < 10
    assert "buko worker: stopped" in worker.output()
    client = sync_redis.Redis.from_url(REDIS_URL)
    try:
        assert client.xinfo_consumers(stream_name(redis_prefix, GENERATION_QUEUE), GROUP) == []
        assert list(client.scan_iter(match=f"{redis_prefix}workers:*")) == []
    finally:
        client.close()


async def test_a_busy_worker_gives_its_chunk_back_and_the_book_completes(
    postgresql_url, redis_prefix, tmp_path  # noqa: F811
):
    settings = settings_for(postgresql_url, redis_prefix, chunk_words=500)
    env = env_for(postgresql_url, redis_prefix, tmp_path / "data", BUKO_OFFLINE_WPS=150, BUKO_CHUNK_WORDS=500,
                  BUKO_WORKER_SHUTDOWN_GRACE_SECONDS=1)
    container = container_for(settings)
    first = WorkerProcess(env, tmp_path / "busy-1.log", queue=GENERATION_QUEUE)
    second = None
    try:
        first.wait_ready()
        async with running(container, migrate=False):
            book_id = await approved_book(container, words=1000, chapters=1)
            events = container.gateways.live().subscribe(book_id)
            await container.use_cases.write_book()(WriteBook(book_id, lanes=1))
            await wait_for_event(events, "delta", index=0)
            code, seconds = first.stop()
            await events.aclose()
            assert code == 0, first.output()
            assert seconds < 10
            assert "given back" in first.output()

            stopped = await container.use_cases.queries().book(book_id)
            assert not stopped.chunks[0].done
            assert stopped.chunks[0].lease_owner == "" and stopped.chunks[0].status is ChunkStatus.QUEUED
            inspector = QueueInspector(container.gateways.redis(), redis_prefix)
            queued = await inspector.in_flight(GENERATION_QUEUE)
            assert [(t["book_id"], t["index"]) for t in queued] == [(book_id, 0)]  # queued again, once
            assert (await inspector.state(GENERATION_QUEUE)).pending == 0  # the old delivery was acknowledged

            second = WorkerProcess(env, tmp_path / "busy-2.log", queue=GENERATION_QUEUE)
            second.wait_ready()
            book = await wait_for_status(container, book_id, BookStatus.WRITTEN, timeout=40)
            assert book.status is BookStatus.WRITTEN, second.output()
            assert [c.text for c in book.chunks] == await expected_texts(book)
            assert book.chunks[0].attempts == 2
            assert "redelivering" not in second.output()  # re-queued at once, not left to the idle timeout
    finally:
        first.ensure_stopped()
        if second:
            second.ensure_stopped()
