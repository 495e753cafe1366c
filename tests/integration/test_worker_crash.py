"""kill -9 in the middle of a chunk: the book still completes, every chunk exactly once, text continuous."""
from __future__ import annotations

import signal

import pytest

from buko.application.commands import WriteBook
from buko.domain.books.book import BookStatus
from buko.entrypoints.worker.runtime import running
from tests.integration.conftest_persistence import postgresql_url  # noqa: F401  (fixture)
from tests.integration.infra import (  # noqa: F401  (fixture)
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
SLOW = {"BUKO_OFFLINE_WPS": 200, "BUKO_CHUNK_WORDS": 300, "BUKO_CHUNK_LEASE_SECONDS": 10,
        "BUKO_QUEUE_IDLE_TIMEOUT_SECONDS": 11}


async def test_a_worker_killed_mid_chunk_leaves_a_book_that_completes_exactly_once(
    postgresql_url, redis_prefix, tmp_path  # noqa: F811
):
    settings = settings_for(postgresql_url, redis_prefix, chunk_words=300)
    env = env_for(postgresql_url, redis_prefix, tmp_path / "data", **SLOW)
    container = container_for(settings)
    first = WorkerProcess(env, tmp_path / "worker-1.log", queue="book_generation_normal")
    second = None
    try:
        first.wait_ready()
        async with running(container, migrate=False):
            book_id = await approved_book(container, words=1500, chapters=2)
            live = container.gateways.live()
            events = live.subscribe(book_id)
            await container.use_cases.write_book()(WriteBook(book_id, lanes=1))
            await wait_for_event(events, "delta", index=1)
            code, _ = first.stop(signal.SIGKILL)
            assert code == -signal.SIGKILL
            await events.aclose()

            killed = await container.use_cases.queries().book(book_id)
            assert killed.chunks[0].done and not killed.chunks[1].done
            assert killed.chunks[1].status == "writing" and killed.chunks[1].lease_owner

            second = WorkerProcess(env, tmp_path / "worker-2.log", queue="book_generation_normal")
            second.wait_ready()
            book = await wait_for_status(container, book_id, BookStatus.WRITTEN, timeout=60)
            assert book.status is BookStatus.WRITTEN, second.output()

            expected = await expected_texts(book)
            found = [c.text for c in book.chunks]
            print(f"kill -9 test: {len(expected)} chunks expected, {sum(c.done for c in book.chunks)} found done")
            assert found == expected
            assert "".join(found) == "".join(expected)
            assert [c.attempts for c in book.chunks] == [1, 2] + [1] * (len(book.chunks) - 2)
            written = [e["index"] for e in await live.buffered(book_id) if e["type"] == "chunk_written"]
            assert sorted(written) == list(range(len(book.chunks)))
            assert "redelivering abandoned task" in second.output()
    finally:
        first.ensure_stopped()
        if second:
            second.ensure_stopped()
