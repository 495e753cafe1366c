"""One live hub per web process: every socket of the process follows its book through it.

With Redis, the hub holds ONE pub/sub connection, subscribed to the channels of the books that
this process's sockets watch (subscribed on the first watcher, unsubscribed after the last), and
fans each event out to those sockets' bounded queues. Never one Redis connection per socket.
In the embedded setup the source is the in-process LiveEvents.

A watch yields the buffered events after `after`, then live ones, in sequence order, with no
gap (a gap is filled from the buffer) and no repeat. A socket that falls behind (its queue is
full) gets `Lagging` and must resume with `after=` from its last sequence number.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable

log = logging.getLogger(__name__)
Deliver = Callable[[str, dict], None]
CHECK: dict = {"type": "check", "seq": 0}  # from a source: "look in the buffer" (after a reconnect, or quiet)


class Lagging(Exception):
    """The watcher did not keep up; resume from `last_seq`."""

    def __init__(self, last_seq: int):
        super().__init__(f"too slow: resume with after={last_seq}")
        self.last_seq = last_seq


class Resync(Exception):
    """The book's live stream started a new epoch (Redis lost its data): sequence numbers from
    before mean nothing now; start again from a snapshot."""


class Watch:
    """One socket's view of one book."""

    def __init__(self, hub: LiveHub, book_id: str, after: int, size: int):
        self.hub, self.book_id, self.last = hub, book_id, after
        self.epoch = ""  # adopted from the first event seen, unless the caller knows it
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=size)
        self.lagging = False
        self.backlog: list[dict] = []

    def offer(self, event: dict) -> None:
        if self.lagging:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.lagging = True
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()  # room for the wake-up below
            self.queue.put_nowait(None)

    def _take(self, event: dict) -> bool:
        epoch = event.get("epoch")
        if epoch:
            if not self.epoch:
                self.epoch = epoch
            elif epoch != self.epoch:
                raise Resync(f"the live stream of book {self.book_id} was reset")
        if event.get("seq", 0) <= self.last:
            return False
        self.last = event["seq"]
        return True

    async def events(self) -> AsyncIterator[dict]:
        """The backlog first (as returned by `hub.watch`), then live events."""
        for event in self.backlog:
            if self._take(event):
                yield event
        self.backlog = []
        while True:
            event = await self.queue.get()
            if event is None or self.lagging:
                raise Lagging(self.last)
            seq = event.get("seq", 0)
            if event.get("epoch") and self.epoch and event["epoch"] != self.epoch:
                raise Resync(f"the live stream of book {self.book_id} was reset")
            if seq <= self.last:
                continue
            if seq > self.last + 1:  # missed (a reconnect of the hub's source): fill from the buffer
                try:
                    missed = await self.hub.source.buffered(self.book_id, self.last, seq - 1)
                except Exception:  # the buffer cannot be read now: the client resumes from what it has
                    raise Lagging(self.last) from None
                for event_missed in missed:
                    if self._take(event_missed):
                        yield event_missed
            if self._take(event):
                yield event


class LiveHub:
    BUFFER_READS = 8  # buffer reads at once for checks: thousands of quiet sockets must not burst the pool

    def __init__(self, source: HubSource, queue_size: int = 2_000):
        self.source, self.queue_size = source, queue_size
        self.watchers: dict[str, set[Watch]] = {}
        self._checking: dict[str, asyncio.Task] = {}
        self._reads = asyncio.Semaphore(self.BUFFER_READS)

    @property
    def sockets(self) -> int:
        return sum(len(w) for w in self.watchers.values())

    async def start(self) -> None:
        await self.source.start(self._deliver)

    async def stop(self) -> None:
        for check in tuple(self._checking.values()):
            check.cancel()
        await self.source.stop()

    def _deliver(self, book_id: str, event: dict) -> None:
        if event is CHECK:
            if book_id in self.watchers and book_id not in self._checking:
                self._checking[book_id] = asyncio.create_task(self._check(book_id))
            return
        for watch in tuple(self.watchers.get(book_id, ())):
            watch.offer(event)

    async def _check(self, book_id: str) -> None:
        """Anything published while the source could not hear it is in the buffer: one read per book
        (from the watch furthest behind), offered to every watch (each skips what it has)."""
        try:
            async with self._reads:
                watches = tuple(self.watchers.get(book_id, ()))
                if not watches:
                    return
                found = await self.source.buffered(book_id, min(w.last for w in watches))
            for event in found:
                for watch in watches:
                    watch.offer(event)
        except Exception as failed:  # the next check (or the next event's gap fill) tries again
            log.warning("could not check book %s's buffer: %s", book_id, failed)
        finally:
            self._checking.pop(book_id, None)

    @contextlib.asynccontextmanager
    async def watch(self, book_id: str, after: int = 0) -> AsyncIterator[Watch]:
        watch = Watch(self, book_id, after, self.queue_size)
        first = book_id not in self.watchers
        self.watchers.setdefault(book_id, set()).add(watch)
        try:
            if first:
                await self.source.join(book_id)
            else:
                await self.source.joined(book_id)
            watch.backlog = await self.source.buffered(book_id, after)
            yield watch
        finally:
            group = self.watchers.get(book_id)
            if group is not None:
                group.discard(watch)
                if not group:
                    del self.watchers[book_id]
                    await asyncio.shield(self.source.leave(book_id))


class HubSource:
    """Where a hub's events come from."""

    async def start(self, deliver: Deliver) -> None: ...

    async def stop(self) -> None: ...

    async def join(self, book_id: str) -> None:
        """Start receiving the book's events; returns once none can be missed any more."""

    async def joined(self, book_id: str) -> None:
        """Wait until an earlier `join` of the book is effective."""

    async def leave(self, book_id: str) -> None: ...

    async def buffered(self, book_id: str, after: int, upto: int | None = None) -> list[dict]:
        raise NotImplementedError


class InProcessHubSource(HubSource):
    """The embedded setup: one in-process subscription per watched book (no I/O involved)."""

    def __init__(self, live):
        self.live = live
        self.pumps: dict[str, asyncio.Task] = {}

    async def start(self, deliver: Deliver) -> None:
        self.deliver = deliver

    async def stop(self) -> None:
        for pump in self.pumps.values():
            pump.cancel()
        self.pumps.clear()

    async def join(self, book_id: str) -> None:
        seen = await self.live.buffered(book_id)
        after = seen[-1]["seq"] if seen else 0
        self.pumps[book_id] = asyncio.create_task(self._pump(book_id, after))

    async def _pump(self, book_id: str, after: int) -> None:
        async for event in self.live.subscribe(book_id, after):
            self.deliver(book_id, event)

    async def leave(self, book_id: str) -> None:
        pump = self.pumps.pop(book_id, None)
        if pump is not None:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump

    async def buffered(self, book_id: str, after: int, upto: int | None = None) -> list[dict]:
        return await self.live.buffered(book_id, after, upto)


class RedisHubSource(HubSource):
    """One pub/sub connection for the whole process, re-established (with every channel) after a
    Redis outage; what was published meanwhile is filled in from the buffer by the watches."""

    RECONNECT_DELAY = 0.5
    CHECK_EVERY = 15  # quiet seconds: redis-py may have reconnected by itself and lost messages

    def __init__(self, redis, live, prefix: str = "buko:"):
        self.redis, self.live, self.prefix = redis, live, prefix
        self.channels: dict[str, asyncio.Event] = {}  # book id -> subscribed (confirmed) event
        self.pubsub = None
        self.reader: asyncio.Task | None = None

    def _channel(self, book_id: str) -> str:
        return f"{self.prefix}live:{book_id}:channel"

    def _book(self, channel: str) -> str:
        return channel[len(self.prefix) + len("live:"):-len(":channel")]

    async def start(self, deliver: Deliver) -> None:
        self.deliver = deliver
        self.pubsub = self.redis.pubsub()
        self.reader = asyncio.create_task(self._read())

    async def stop(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader
        if self.pubsub is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await self.pubsub.aclose()

    async def join(self, book_id: str) -> None:
        confirmed = self.channels[book_id] = asyncio.Event()
        try:
            await self.pubsub.subscribe(self._channel(book_id))
        except Exception:  # Redis is away: the reader resubscribes every channel when it is back
            log.warning("could not subscribe to book %s's events now; retrying in the background", book_id)
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await confirmed.wait()

    async def joined(self, book_id: str) -> None:
        confirmed = self.channels.get(book_id)
        if confirmed is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await confirmed.wait()

    async def leave(self, book_id: str) -> None:
        self.channels.pop(book_id, None)
        with contextlib.suppress(Exception):
            await self.pubsub.unsubscribe(self._channel(book_id))

    async def buffered(self, book_id: str, after: int, upto: int | None = None) -> list[dict]:
        return await self.live.buffered(book_id, after, upto)

    async def _read(self) -> None:
        quiet = 0
        while True:
            try:
                if not self.pubsub.subscribed:
                    await asyncio.sleep(0.05)
                    continue
                message = await self.pubsub.get_message(timeout=1.0)
                if asyncio.current_task().cancelling():
                    raise asyncio.CancelledError
                if message is None:
                    quiet += 1
                    if quiet % self.CHECK_EVERY == 0:
                        for book_id in list(self.channels):
                            self.deliver(book_id, CHECK)
                    continue
                quiet = 0
                channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
                book_id = self._book(channel)
                if message["type"] == "subscribe":
                    confirmed = self.channels.get(book_id)
                    if confirmed is not None:
                        confirmed.set()
                elif message["type"] == "message":
                    self.deliver(book_id, json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as lost:
                log.warning("live events connection lost (%s); reconnecting", lost)
                await self._reconnect()

    async def _reconnect(self) -> None:
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()
        while True:
            await asyncio.sleep(self.RECONNECT_DELAY)
            self.pubsub = self.redis.pubsub()
            try:
                if self.channels:
                    await self.pubsub.subscribe(*(self._channel(b) for b in self.channels))
                for book_id in list(self.channels):
                    self.deliver(book_id, CHECK)
                return
            except Exception:
                with contextlib.suppress(Exception):
                    await self.pubsub.aclose()
