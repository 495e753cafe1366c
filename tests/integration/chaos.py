"""Chaos for the production setup: real worker processes, killed while busy; a Redis that restarts
empty; queued tasks deleted; a follower that must end up with exactly the stored text.

Used by test_chaos.py (short, in CI) and bench/chaos_long.py (long, documented in README).
"""
from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from buko.adapters.queue.inspect import QueueInspector
from buko.adapters.queue.redis_streams import GROUP, stream_name
from buko.application.books.streamed import Streamed, follow
from buko.application.commands import GENERATION_QUEUE
from buko.domain.books.book import Book, BookStatus
from buko.domain.books.chunks import ChunkStatus
from tests.integration.infra import WorkerProcess


@dataclass
class Kill:
    pid: int
    book_id: str
    index: int
    at: float
    resumed_after: float | None = None  # seconds until another worker held the chunk (or it was done)


@dataclass
class Follower:
    """Rebuilds each chunk's text from the live events, as a reader's screen would. After a
    reconnect or a re-sync, or when the deltas say a piece of the text was never seen (their
    attempt and offset: books/streamed.py), it takes the chunk from the stored chunks (the truth)."""

    book_id: str
    reload: object  # async () -> Book
    texts: dict[int, Streamed] = field(default_factory=dict)
    done: dict[int, str] = field(default_factory=dict)
    interrupted: set[int] = field(default_factory=set)
    seen: list[str] = field(default_factory=list)
    unannounced: list[int] = field(default_factory=list)  # done chunks whose chunk_written never came
    quiet: float = 5.0  # seconds without events before it looks at the stored book, as the page's socket does

    async def follow(self, events) -> None:
        """Until the book is written: book_written, or (its news lost with a worker killed after its
        commit) the stored book says so when the events are quiet. Chunks whose chunk_written was
        lost the same way are taken from the stored book at the end."""
        inbox: asyncio.Queue = asyncio.Queue()

        async def pump() -> None:
            try:
                async for event in events:
                    inbox.put_nowait(event)
            finally:
                inbox.put_nowait(None)

        pumping = asyncio.create_task(pump())
        try:
            while True:
                try:
                    event = await asyncio.wait_for(inbox.get(), self.quiet)
                except TimeoutError:
                    stored = await self.reload()
                    if stored.status is BookStatus.WRITTEN:
                        self.seen.append("stored_written")
                        return await self._rest_from(stored)
                    continue
                if event is None:
                    return pumping.result()  # the events ended: their error, if any
                if await self._take(event):
                    return await self._rest_from(await self.reload())
        finally:
            pumping.cancel()

    async def _rest_from(self, stored: Book) -> None:
        self.unannounced = [c.index for c in stored.chunks if c.done and c.index not in self.done]
        self.done.update({i: stored.chunks[i].text for i in self.unannounced})

    async def _take(self, event: dict) -> bool:
        """Apply one event; True at book_written."""
        kind, index = event["type"], event.get("index")
        self.seen.append(kind)
        if kind in ("resync", "reconnecting"):
            stored = await self.reload()
            self.done.update({c.index: c.text for c in stored.chunks if c.done})
            self.interrupted.update(i for i in self.texts if i not in self.done)
        elif index in self.done:
            return False
        elif kind in ("chunk_started", "chunk_restarted", "delta"):
            self.texts[index] = follow(self.texts.get(index), event)  # chunk_started: a new attempt
            if kind == "chunk_started":
                self.interrupted.discard(index)
        elif kind == "chunk_written":
            streamed = self.texts.get(index)
            # A fragment, or an older attempt (a taken-over worker) went on writing: it may be the one stored.
            if index in self.interrupted or streamed is None or not streamed.whole or streamed.rival:
                stored = await self.reload()
                self.done[index] = stored.chunks[index].text
            else:
                self.done[index] = streamed.text
        return kind == "book_written"


class Chaos:
    """Worker processes for one queue, and ways to hurt them."""

    def __init__(self, container, env: dict, logs: Path, concurrency: int = 1):
        self.container, self.env, self.logs, self.concurrency = container, env, logs, concurrency
        self.workers: dict[int, WorkerProcess] = {}
        self.killed: list[Kill] = []
        self.started = 0

    def start_worker(self) -> WorkerProcess:
        self.started += 1
        worker = WorkerProcess(self.env, self.logs / f"worker-{self.started}.log", queue=GENERATION_QUEUE,
                               concurrency=self.concurrency)
        self.workers[worker.proc.pid] = worker
        return worker

    async def start(self, count: int, ready_timeout: float = 90) -> None:
        fresh = [self.start_worker() for _ in range(count)]
        await asyncio.gather(*(asyncio.to_thread(w.wait_ready, ready_timeout) for w in fresh))

    async def book(self, book_id: str) -> Book:
        while True:
            try:
                return await self.container.use_cases.queries().book(book_id)
            except Exception:  # the database restarting: ask again
                await asyncio.sleep(0.2)

    async def holders(self, book_id: str) -> dict[int, int]:
        """chunk index -> pid of the live worker writing it."""
        book = await self.book(book_id)
        found = {}
        for chunk in book.chunks:
            if chunk.status is ChunkStatus.WRITING and chunk.lease_owner:
                pid = int(chunk.lease_owner.split(":")[-2])
                if pid in self.workers and self.workers[pid].proc.poll() is None:
                    found[chunk.index] = pid
        return found

    async def kill_busy(self, book_id: str, index: int | None = None, timeout: float = 120) -> Kill | None:
        """SIGKILL a worker while it writes a chunk (`index`, or any), start a replacement at once."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = await self.holders(book_id)
            if index is not None and (await self.book(book_id)).chunks[index].done:
                return None
            if index is None:  # a chunk killed the fewest times so far: kills spread over the book
                times = {i: sum(k.index == i and k.book_id == book_id for k in self.killed) for i in busy}
                choice = min(busy, key=lambda i: (times[i], i)) if busy else None
            else:
                choice = index
            if choice in busy:
                pid = busy[choice]
                self.workers[pid].proc.send_signal(signal.SIGKILL)
                kill = Kill(pid, book_id, choice, time.monotonic())
                self.workers[pid].proc.wait(10)
                self.workers.pop(pid).handle.close()
                self.killed.append(kill)
                self.start_worker()
                return kill
            await asyncio.sleep(0.05)
        return None

    async def resumed(self, kill: Kill, timeout: float = 3600) -> float:
        """Seconds from the kill until another worker held the chunk (or it was written)."""
        deadline = kill.at + timeout
        while time.monotonic() < deadline:
            chunk = (await self.book(kill.book_id)).chunks[kill.index]
            owner_pid = int(chunk.lease_owner.split(":")[-2]) if chunk.lease_owner else None
            if chunk.done or (chunk.status is ChunkStatus.WRITING and owner_pid not in (None, kill.pid)):
                kill.resumed_after = time.monotonic() - kill.at
                return kill.resumed_after
            await asyncio.sleep(0.1)
        raise AssertionError(f"chunk {kill.index} of {kill.book_id} not resumed within {timeout} s of the kill")

    async def delete_waiting_task(self, redis, prefix: str, timeout: float = 60) -> tuple[str, int] | None:
        """XDEL a chunk task that waits in the stream (not yet read by any worker)."""
        stream = stream_name(prefix, GENERATION_QUEUE)
        inspector = QueueInspector(redis, prefix)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                group = await inspector._group(stream)
                waiting = await inspector._unread(stream, group)
                for msg_id, fields in waiting:
                    task = _task(fields)
                    if task.get("task") == "buko.write_chunk" and await redis.xdel(stream, msg_id):
                        return task["book_id"], task["index"]
            except Exception:  # Redis restarting
                pass
            await asyncio.sleep(0.02)
        return None

    async def written(self, book_id: str, timeout: float) -> Book:
        deadline = time.monotonic() + timeout
        while True:
            book = await self.book(book_id)
            if book.status in (BookStatus.WRITTEN, BookStatus.FAILED) or time.monotonic() > deadline:
                return book
            await asyncio.sleep(0.25)

    def alive(self) -> list[WorkerProcess]:
        return [w for w in self.workers.values() if w.proc.poll() is None]

    def stop_all(self) -> None:
        for worker in self.workers.values():
            worker.ensure_stopped()

    def logs_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("worker-*.log")))


async def consumers(redis, prefix: str) -> set[str]:
    found = await redis.xinfo_consumers(stream_name(prefix, GENERATION_QUEUE), GROUP)
    return {c["name"].decode() if isinstance(c["name"], bytes) else c["name"] for c in found}


def _task(fields: dict) -> dict:
    import json

    message = json.loads(fields[b"data"])
    return {"task": message.get("task_name"), **(message.get("kwargs") or {})}
