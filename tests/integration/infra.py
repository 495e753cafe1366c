"""Helpers for the production-infrastructure tests: real PostgreSQL and Redis, real worker processes.

Each test gets its own Redis key prefix (deleted afterwards) and the session's own PostgreSQL
database (conftest_persistence.postgresql_url), so these tests can run beside others.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis as sync_redis

from buko.adapters.llm.offline import OfflineDemoWriter
from buko.application.ports import ChunkRequest
from buko.bootstrap import build_container
from buko.config import Settings
from buko.domain.accounts.user import Role, User
from buko.domain.books.book import Book, BookStatus
from buko.domain.books.brief import Brief
from buko.domain.books.usage import Usage

REDIS_URL = os.environ.get("BUKO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]
IDEA = "A practical guide to urban beekeeping on small balconies"


@pytest.fixture
def redis_prefix():
    """A fresh key prefix; every key under it is deleted after the test (never FLUSHALL)."""
    prefix = f"bukotest:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = sync_redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def settings_for(database_url: str, prefix: str, **extra) -> Settings:
    return Settings(database_url=database_url, redis_url=REDIS_URL, redis_prefix=prefix, anthropic_api_key=None,
                    **extra)


def env_for(database_url: str, prefix: str, data_dir: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "BUKO_", "CLAUDE_", "DB_"))}
    env.update(DATABASE_URL=database_url, REDIS_URL=REDIS_URL, BUKO_REDIS_PREFIX=prefix,
               BUKO_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", COLUMNS="200")
    env.update({k: str(v) for k, v in extra.items()})
    return env


class WorkerProcess:
    """`buko worker` in a child process, its output in a log file."""

    def __init__(self, env: dict, log: Path, queue: str = "all", concurrency: int = 4):
        self.log = log
        self.handle = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "buko.entrypoints.cli", "-v", "worker", "--queue", queue,
             "--concurrency", str(concurrency)],
            env=env, cwd=ROOT, stdout=self.handle, stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while "buko worker: consuming" not in self.output():
            assert self.proc.poll() is None, f"worker exited early:\n{self.output()}"
            assert time.monotonic() < deadline, f"worker not ready:\n{self.output()}"
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> tuple[int, float]:
        """Send `sig`; returns (exit code, seconds it took to exit)."""
        started = time.monotonic()
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        self.handle.close()
        return code, time.monotonic() - started

    def ensure_stopped(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.handle.close()


async def approved_book(container, words: int = 1200, chapters: int = 2) -> str:
    """A book planned by the offline writer and approved (chunk ceiling from the settings)."""
    brief = Brief(idea=IDEA, target_words=words, chapter_count=chapters)
    user = User(id=uuid.uuid4().hex, email=f"{uuid.uuid4().hex}@example.com", name="Ana", role=Role.AUTHOR,
                created_at=container.core.clock().now())
    book = Book(id=uuid.uuid4().hex, owner_id=user.id, brief=brief, created_at=user.created_at)
    book.request_plan()
    writer = OfflineDemoWriter()
    book.architecture_ready(writer.plan(brief), Usage(calls=1), writer.name, True)
    book.approve(container.settings().chunk_words)
    async with container.core.uow() as uow:
        await uow.users.add(user)
        await uow.commit()
    async with container.core.uow() as uow:
        await uow.books.add(book)
        await uow.commit()
    return book.id


async def wait_for_status(container, book_id: str, status: BookStatus, timeout: float) -> Book:
    deadline = time.monotonic() + timeout
    while True:
        book = await container.use_cases.queries().book(book_id)
        if book.status is status or time.monotonic() > deadline:
            return book
        await asyncio.sleep(0.25)


async def wait_for_event(events, kind: str, index: int | None = None, timeout: float = 30) -> dict:
    async with asyncio.timeout(timeout):
        async for event in events:
            if event["type"] == kind and (index is None or event.get("index") == index):
                return event
    raise AssertionError(f"the events ended before {kind}")


async def expected_texts(book: Book) -> list[str]:
    """What the deterministic offline writer writes for each chunk of `book`."""
    writer, texts = OfflineDemoWriter(), []

    async def ignore(_delta: str) -> None:
        return None

    for chunk in book.chunks:
        request = ChunkRequest(book.id, book.brief, book.architecture, chunk, "", "")
        texts.append((await writer.write(request, ignore)).text)
    return texts


def unused_port() -> int:
    """A local port where nothing listens (for "the service is down" tests; the real one keeps running)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def container_for(settings: Settings):
    return build_container(settings)
