"""Worker memory over batches of books: does a `buko worker` process keep growing?

Starts one `buko worker --queue all` on the machine's PostgreSQL (a database made for the run and
dropped after) and Redis (a key prefix of its own, deleted after), then writes batches of books
through it (planned by the offline writer, written and exported as pdf, epub, docx and md by the
worker) and samples the worker's RSS after each batch, once the queues are empty.

    .venv/bin/python bench/worker_memory.py --batches 4 --books 64
    .venv/bin/python bench/worker_memory.py --malloc-arenas 2     # the same with MALLOC_ARENA_MAX=2

Prints RSS per batch and the growth per batch; see bench/README.md for the reading.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import redis as sync_redis  # noqa: E402

from buko.adapters.queue.inspect import QueueInspector  # noqa: E402
from buko.application.commands import QUEUES, WriteBook  # noqa: E402
from buko.bootstrap import build_container  # noqa: E402
from buko.config import Settings  # noqa: E402
from buko.domain.books.book import BookStatus  # noqa: E402
from buko.entrypoints.worker.runtime import running  # noqa: E402
from tests.integration.infra import approved_book  # noqa: E402

PG = os.environ.get("BUKO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("BUKO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def idle(container, prefix: str) -> None:
    inspector = QueueInspector(container.gateways.redis(), prefix)
    while True:
        states = [await inspector.state(q) for q in QUEUES]
        if all(s.waiting == 0 and s.pending == 0 for s in states):
            return
        await asyncio.sleep(0.5)


async def batch(container, books: int) -> float:
    started = time.monotonic()
    ids = [await approved_book(container, words=1500, chapters=3) for _ in range(books)]
    for book_id in ids:
        await container.use_cases.write_book()(WriteBook(book_id, lanes=2))
    for book_id in ids:
        while (await container.use_cases.queries().book(book_id)).status is not BookStatus.WRITTEN:
            await asyncio.sleep(0.5)
    return time.monotonic() - started


async def run(args) -> None:
    db = f"buko_bench_{uuid.uuid4().hex[:8]}"
    prefix = f"bukobench:{uuid.uuid4().hex[:8]}:"
    admin = await asyncpg.connect(PG)
    await admin.execute(f'CREATE DATABASE "{db}"')
    url = PG.rsplit("/", 1)[0] + f"/{db}"
    data = Path(tempfile.mkdtemp(prefix="buko-mem-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "BUKO_", "CLAUDE_"))}
    env.update(DATABASE_URL=url, REDIS_URL=REDIS, BUKO_REDIS_PREFIX=prefix, BUKO_DATA_DIR=str(data),
               BUKO_OFFLINE_WPS="0", BUKO_CHUNK_WORDS="500", PYTHONUNBUFFERED="1")
    if args.malloc_arenas:
        env["MALLOC_ARENA_MAX"] = str(args.malloc_arenas)
    settings = Settings(database_url=url, redis_url=REDIS, redis_prefix=prefix, anthropic_api_key=None,
                        chunk_words=500, data_dir=data)
    container = build_container(settings)
    worker = None
    try:
        async with running(container):
            log = (data / "worker.log").open("wb")
            worker = subprocess.Popen([sys.executable, "-m", "buko.entrypoints.cli", "worker", "--queue", "all"],
                                      env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            await asyncio.sleep(5)
            print(f"worker pid {worker.pid}, RSS at start {rss_mb(worker.pid):.1f} MB", flush=True)
            previous = None
            for number in range(1, args.batches + 1):
                took = await batch(container, args.books)
                await idle(container, prefix)
                await asyncio.sleep(2)
                now = rss_mb(worker.pid)
                growth = "" if previous is None else f", +{now - previous:.1f} MB"
                print(f"batch {number}: {args.books} books in {took:.0f} s; worker RSS {now:.1f} MB{growth}", flush=True)
                previous = now
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(15)
        await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.close()
        client = sync_redis.Redis.from_url(REDIS)
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--books", type=int, default=64)
    parser.add_argument("--malloc-arenas", type=int, default=0, help="run the worker with MALLOC_ARENA_MAX=N")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
