"""The long chaos run: books written by 3 workers at the default reliability settings while busy
workers are killed 20 times, Redis restarts empty twice, queued tasks are deleted and (when a
private cluster can be started) PostgreSQL restarts. Nobody steps in.

    .venv/bin/python bench/chaos_long.py                 # 20 kills, about 10-15 minutes
    .venv/bin/python bench/chaos_long.py --kills 5       # shorter

Redis is a private redis-server on a free port. PostgreSQL is a private cluster (initdb as the
`postgres` user, on a free port) so it can be restarted; when none can be started the machine's
server is used and the PostgreSQL restart is skipped (said so in the report). The model is the
offline writer slowed to BUKO_OFFLINE_WPS=80 with 400-word chunks (about 5 s per chunk, so
there is always a chunk to kill); everything else (heartbeat 5 s, lease 900 s, idle timeout
960 s, sweep every 60 s with 120 s grace) is the default.

Reports: kills, time from kill to resumed chunk (min/median/max), books completed, chunks lost or
doubled (each chunk compared with what the deterministic writer wrote), and a follower's check.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from buko.application.commands import WriteBook  # noqa: E402
from buko.config import Settings  # noqa: E402
from buko.domain.books.book import BookStatus  # noqa: E402
from buko.entrypoints.worker.runtime import running  # noqa: E402
from tests.integration.chaos import Chaos, Follower  # noqa: E402
from tests.integration.infra import approved_book, container_for, env_for, expected_texts  # noqa: E402
from tests.integration.private_redis import PrivateRedis  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SLOW_MODEL = {"BUKO_OFFLINE_WPS": 80, "BUKO_CHUNK_WORDS": 400}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivatePostgres:
    """A throw-away cluster run as the `postgres` user, restartable (immediate mode: like a crash)."""

    def __init__(self, workdir: Path):
        self.data, self.port = workdir / "pgdata", free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *argv: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *argv], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self.data.parent.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:  # the server runs as `postgres`: it must reach its directory
            self.data.parent.parent.chmod(0o755)
            shutil.chown(self.data.parent, "postgres")
        self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self._pg_ctl("start")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.data / "log"),
                          "-o", f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1", *extra, action)

    def restart(self) -> None:
        self._pg_ctl("restart", "-m", "immediate")

    def stop(self) -> None:
        try:
            self._pg_ctl("stop", "-m", "immediate")
        except Exception:
            pass


async def new_database(base_url: str) -> str:
    name = f"buko_chaos_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(base_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base_url.rsplit("/", 1)[0] + f"/{name}"


async def run(args) -> int:
    work = Path(tempfile.mkdtemp(prefix="buko-chaos-"))
    redis_server = PrivateRedis(work / "redis")
    redis_server.start()
    postgres, pg_note = None, ""
    try:
        postgres = PrivatePostgres(work / "pg")
        postgres.start()
        base = postgres.url
    except Exception as why:  # no private cluster here: the machine's server, no restart
        postgres, pg_note = None, f"PostgreSQL restart skipped (no private cluster: {why})"
        base = os.environ.get("BUKO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    database_url = await new_database(base)
    prefix = "chaos:"
    settings = Settings(database_url=database_url, redis_url=redis_server.url, redis_prefix=prefix,
                        anthropic_api_key=None, chunk_words=SLOW_MODEL["BUKO_CHUNK_WORDS"])
    env = env_for(database_url, prefix, work / "data", REDIS_URL=redis_server.url, **SLOW_MODEL)
    container = container_for(settings)
    chaos = Chaos(container, env, work, concurrency=2)
    books: list[str] = []
    incidents: list[str] = []
    started = time.monotonic()
    try:
        async with running(container):
            await chaos.start(3, ready_timeout=180)
            follower_book = await approved_book(container, words=4000, chapters=4)
            follower = Follower(follower_book, lambda: chaos.book(follower_book))
            following = asyncio.create_task(follower.follow(container.gateways.live().subscribe(follower_book)))

            async def keep_writing() -> None:  # always a few books being written
                await container.use_cases.write_book()(WriteBook(follower_book, lanes=2))
                books.append(follower_book)
                while True:
                    open_books = [b for b in books if (await chaos.book(b)).status is BookStatus.WRITING]
                    if len(open_books) < args.books_at_once:
                        book_id = await approved_book(container, words=4000, chapters=4)
                        await container.use_cases.write_book()(WriteBook(book_id, lanes=2))
                        books.append(book_id)
                    await asyncio.sleep(1)

            feeder = asyncio.create_task(keep_writing())
            await asyncio.sleep(10)
            redis = Redis.from_url(redis_server.url)
            for number in range(1, args.kills + 1):
                target = None
                if number % 7 == 3 and chaos.killed:  # now and then the chunk just taken over, again
                    last = chaos.killed[-1]
                    target = last.index if not (await chaos.book(last.book_id)).chunks[last.index].done else None
                book_id = chaos.killed[-1].book_id if target is not None else None
                kill = None
                if book_id is not None:
                    kill = await chaos.kill_busy(book_id, index=target, timeout=20)
                search_until = time.monotonic() + 120
                while kill is None and time.monotonic() < search_until:
                    for candidate in random.sample(books, len(books)):  # a random busy worker, as an operator would
                        kill = await chaos.kill_busy(candidate, timeout=0.2)
                        if kill is not None:
                            break
                if kill is None:
                    incidents.append(f"kill {number}: no busy worker found in 120 s")
                else:
                    try:
                        took = await chaos.resumed(kill, timeout=600)
                    except AssertionError as never:
                        incidents.append(f"kill {number}: {never}")
                    else:
                        print(f"kill {number}: pid {kill.pid} writing chunk {kill.index} of {kill.book_id[:8]}; "
                              f"resumed after {took:.1f} s", flush=True)
                if number in (5, 14):
                    await asyncio.to_thread(redis_server.restart_empty, 2.0)
                    incidents.append(f"after kill {number}: Redis restarted empty")
                    print(incidents[-1], flush=True)
                if number in (8, 17):
                    lost = await chaos.delete_waiting_task(redis, prefix, timeout=30)
                    incidents.append(f"after kill {number}: deleted the queued task of {lost}")
                    print(incidents[-1], flush=True)
                if number == 11 and postgres is not None:
                    await asyncio.to_thread(postgres.restart)
                    incidents.append(f"after kill {number}: PostgreSQL restarted (immediate)")
                    print(incidents[-1], flush=True)
                await asyncio.sleep(args.pause)
            feeder.cancel()
            deadline = time.monotonic() + args.finish_timeout
            stuck = []
            for book_id in books:
                book = await chaos.written(book_id, max(1.0, deadline - time.monotonic()))
                if book.status is not BookStatus.WRITTEN:
                    stuck.append(f"{book_id}: {book.status.value} {book.failure}")
            lost = doubled = checked = 0
            for book_id in books:
                book = await chaos.book(book_id)
                expected = await expected_texts(book)
                for chunk, want in zip(book.chunks, expected, strict=True):
                    checked += 1
                    if chunk.text != want:
                        if want and want in chunk.text and len(chunk.text) > len(want):
                            doubled += 1
                        else:
                            lost += 1
            await asyncio.wait_for(following, 60)
            stored = await chaos.book(follower_book)
            follower_ok = follower.done == {c.index: c.text for c in stored.chunks}
            took = [k.resumed_after for k in chaos.killed if k.resumed_after is not None]
            print("\n== chaos_long report ==")
            print(f"duration {time.monotonic() - started:.0f} s; settings: default reliability settings "
                  f"(heartbeat 5 s, lease 900 s, idle timeout 960 s, sweep 60 s / grace 120 s), "
                  f"offline writer at {SLOW_MODEL['BUKO_OFFLINE_WPS']} words/s, {SLOW_MODEL['BUKO_CHUNK_WORDS']}-word chunks")
            print(f"kills: {len(took)} (SIGKILL of a worker while it wrote a chunk)")
            if took:
                print(f"kill to resumed chunk: min {min(took):.1f} s, median {statistics.median(took):.1f} s, "
                      f"max {max(took):.1f} s")
            print(f"books completed: {len(books) - len(stuck)} of {len(books)}; chunks checked {checked}; "
                  f"lost {lost}; doubled {doubled}")
            print(f"follower text identical to stored text: {follower_ok}")
            for line in incidents + ([pg_note] if pg_note else []) + stuck:
                print(f"  {line}")
            print(f"workers still running: {len(chaos.alive())} of 3 (none stopped by itself)")
            return 0 if not stuck and not lost and not doubled and follower_ok else 1
    finally:
        chaos.stop_all()
        redis_server.stop()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--books-at-once", type=int, default=3)
    parser.add_argument("--pause", type=float, default=3.0, help="seconds between a resumed chunk and the next kill")
    parser.add_argument("--finish-timeout", type=float, default=900.0)
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
