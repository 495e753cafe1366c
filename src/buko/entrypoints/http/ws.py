"""/ws/books/<id>: a snapshot of the book, then its live events, each with its sequence number.

Protocol (JSON text frames):
- connect with `?after=SEQ` (and `&epoch=E` as last seen) to resume: the server answers
  {"type": "resumed", "after": SEQ} and sends exactly the missing events; when it cannot (the
  buffer moved on, or the live stream was reset) it sends a fresh snapshot instead.
- without `after`: {"type": "snapshot", "seq", "epoch", "book": {...}, "chunks": [...],
  "partial": {index: text so far}, "streamed": {index: {"attempt", "end", "whole"}}} then the
  events after `seq`. A partial text that is not `whole` is a fragment: its beginning was lost
  when the live stream was reset.
- events: status, planning, waiting, chunk_started, delta, chunk_restarted, chunk_done,
  progress, usage, error — each with "seq". chunk_started, chunk_restarted and delta carry the
  "attempt" they belong to; a delta carries "at", where its text starts in the attempt's text
  (in characters, i.e. code points): it continues the text shown when it has that attempt and
  `at` is the length shown; `at` 0 starts the text again; anything else means a piece was lost
  (show the text as a fragment: chunk_done says when the stored text replaces it). A delta or
  chunk_restarted with an attempt lower than the one shown is from a worker whose chunk was taken
  over and that still writes: ignore it (a chunk_started always starts the text: a resumed book
  counts attempts from 1 again).
- a socket that heard nothing for BUKO_WS_STORED_CHECK_SECONDS while its book is unfinished may get
  a fresh snapshot at any time: the stored book was further on than its events said (they were lost
  with a worker killed after its commit). Apply it as on a connect; events after its `seq` follow.
- the server sends {"type": "ping"} every BUKO_WS_PING_INTERVAL; answer {"type": "pong"}
  within BUKO_WS_PING_TIMEOUT or the socket is closed.
- errors: {"type": "error", "error": {"code", "message", "details"}} then a close with code
  4401 (unauthenticated), 4403 (forbidden, suspended), 4404 (not yours / no such book),
  4408 (too slow or no pong: resume with after=), 4409 (resync), 1011 (server error),
  1012 (the server is restarting: reconnect in a moment with after= the last seq received).
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import json
import logging
import random
import time

from quart import Quart, current_app, websocket

from buko.adapters.live.hub import Lagging, Resync
from buko.domain.errors import DomainError, Forbidden, NotFound, Unauthenticated
from buko.entrypoints.http.auth import SESSION_COOKIE, identify
from buko.entrypoints.http.errors import error_body
from buko.entrypoints.http.live_view import BookView

log = logging.getLogger(__name__)
CLOSE = {Unauthenticated: 4401, Forbidden: 4403, NotFound: 4404}
RESTARTING = "server_restarting"


class SharedLoads:
    """Loads that many sockets need at the same moment, made once: the sockets of a book opening
    together share one read of it (for `ttl` seconds), and every watcher of a book that reaches a
    milestone shares one read for that event. A failed load is not kept: the next asker tries again."""

    PRUNE_EVERY = 5.0  # seconds: expired entries (and the books they hold) are dropped this often

    def __init__(self, ttl: float = 1.0, max_entries: int = 20_000, monotonic=time.monotonic) -> None:
        self.ttl, self.max_entries, self.monotonic = ttl, max_entries, monotonic
        self._entries: dict[tuple, tuple[float, asyncio.Future]] = {}
        self._next_prune = 0.0
        self.loads: collections.Counter[str] = collections.Counter()  # reads made, by kind

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: tuple, load, ttl: float | None = None):
        now = self.monotonic()
        if now >= self._next_prune or len(self._entries) >= self.max_entries:
            self._entries = {k: e for k, e in self._entries.items() if e[0] >= now}
            self._next_prune = now + self.PRUNE_EVERY
        entry = self._entries.get(key)
        if entry is None or entry[0] < now:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            task = asyncio.ensure_future(load())
            self.loads[key[0]] += 1
            entry = self._entries[key] = (now + (self.ttl if ttl is None else ttl), task)
            task.add_done_callback(lambda done, key=key: self._forget_failed(key, done))
        return await asyncio.shield(entry[1])

    def _forget_failed(self, key: tuple, done: asyncio.Future) -> None:
        if done.cancelled() or done.exception() is not None:
            if self._entries.get(key, (0, None))[1] is done:
                self._entries.pop(key, None)


class SocketRegistry:
    """This process's open sockets by user, so a suspension closes them at once."""

    def __init__(self) -> None:
        self.by_user: dict[str, set[asyncio.Queue]] = {}
        self.verdicts: dict[bytes, tuple[float, asyncio.Future]] = {}
        self.books = SharedLoads()

    @property
    def count(self) -> int:
        return sum(len(s) for s in self.by_user.values())

    def add(self, user_id: str) -> asyncio.Queue:
        inbox: asyncio.Queue = asyncio.Queue()
        self.by_user.setdefault(user_id, set()).add(inbox)
        return inbox

    def remove(self, user_id: str, inbox: asyncio.Queue) -> None:
        group = self.by_user.get(user_id, set())
        group.discard(inbox)
        if not group:
            self.by_user.pop(user_id, None)

    async def still_valid(self, headers, cookies, ttl: float) -> None:
        """Raise the DomainError `identify` raises for these credentials. All the sockets that share
        them share one look-up per `ttl` seconds (one in flight at a time, the others wait for it)."""
        key = hashlib.sha256((headers.get("Authorization", "") + "|" + cookies.get(SESSION_COOKIE, "")).encode()).digest()
        now = time.monotonic()
        entry = self.verdicts.get(key)
        if entry is None or entry[0] < now:
            if len(self.verdicts) > 50_000:
                self.verdicts.clear()
            entry = self.verdicts[key] = (now + ttl * 0.9, asyncio.get_running_loop().create_future())
            try:
                await identify(headers, cookies)
                entry[1].set_result(None)
            except DomainError as refused:
                entry[1].set_result(refused)
            except Exception as unavailable:  # not a verdict: the next socket asks again
                self.verdicts.pop(key, None)
                entry[1].set_result(None)
                raise unavailable
        verdict = await asyncio.shield(entry[1])
        if verdict is not None:
            raise verdict

    async def close_user(self, user_id: str, reason: str) -> None:
        for inbox in tuple(self.by_user.get(user_id, ())):
            inbox.put_nowait(reason)

    async def close_all(self, grace: float) -> int:
        """Before the server stops: every socket is told to reconnect (1012) and closed cleanly, instead
        of being cut when the server's grace runs out. Returns how many were still open after `grace`."""
        for inboxes in tuple(self.by_user.values()):
            for inbox in tuple(inboxes):
                inbox.put_nowait(RESTARTING)
        deadline = time.monotonic() + grace
        while self.count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self.count


class Closing(Exception):
    def __init__(self, code: int, error: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.error, self.details = code, error, details or {}


def register_socket(app: Quart) -> None:
    @app.websocket("/ws/books/<book_id>")
    async def book_socket(book_id: str):
        container = current_app.extensions["buko_container"]
        settings = container.settings()
        await websocket.accept()
        try:
            who = await _authorize(container, book_id)
        except DomainError as refused:
            await _close(CLOSE.get(type(refused), 4403), refused.code, str(refused))
            return
        except Exception:  # the database cannot answer now: say so, the client retries
            log.exception("websocket of book %s could not be authorized", book_id)
            await _close(1011, "unavailable", "Buko cannot check your access right now; reconnect in a moment")
            return
        registry: SocketRegistry = current_app.extensions["buko_sockets"]
        inbox = registry.add(who.user.id)
        try:
            await _serve(container, settings, who, book_id, inbox)
        except Closing as closing:
            await _close(closing.code, closing.error, str(closing), closing.details)
        except DomainError as refused:  # e.g. the book was deleted while the socket opened
            await _close(CLOSE.get(type(refused), 4403), refused.code, str(refused))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("websocket of book %s failed", book_id)
            await _close(1011, "internal_error", "something went wrong on our side; reconnect with after=")
        finally:
            registry.remove(who.user.id, inbox)


async def _authorize(container, book_id: str):
    who = await identify(websocket.headers, websocket.cookies)
    if who is None:
        raise Unauthenticated("log in, or send an API token as `Authorization: Bearer …`")
    if who.via_session and not _same_origin():
        raise Forbidden("a browser socket must come from Buko's own pages")
    queries = container.use_cases.queries()
    books: SharedLoads = current_app.extensions["buko_sockets"].books
    owner = await books.get(("owner", book_id), lambda: queries.owner(book_id), ttl=5.0)
    queries.check_owner(who.user, owner, book_id)
    return who


def _opening_book(queries, book_id: str, last_seq: int):
    """The stored book for a socket that subscribed when the book's last live event was `last_seq`.
    Sockets opening together on a quiet book share one read (a read begun after an earlier socket
    subscribed at the same `last_seq` is at least as new as that socket's buffer, as its own would be)."""
    books: SharedLoads = current_app.extensions["buko_sockets"].books
    return books.get(("open", book_id, last_seq), lambda: queries.book_outline(book_id))


def _book_after(queries, book_id: str, seq: int):
    """The stored book after the milestone event `seq`: one read for all of the book's watchers."""
    books: SharedLoads = current_app.extensions["buko_sockets"].books
    return books.get(("event", book_id, seq), lambda: queries.book_outline(book_id), ttl=30.0)


def _same_origin() -> bool:
    origin = websocket.headers.get("Origin")
    if not origin:
        return True
    host = websocket.headers.get("Host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


async def _close(code: int, error: str, message: str, details: dict | None = None) -> None:
    with contextlib.suppress(Exception):
        await websocket.send(json.dumps({"type": "error", **error_body(error, message, details)}))
        await websocket.close(code, error[:120])


def _int_arg(name: str) -> int | None:
    raw = websocket.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 15:
        raise Closing(4400, "invalid_request", f"`{name}` must be a whole number")
    return int(raw)


async def _serve(container, settings, who, book_id: str, inbox: asyncio.Queue) -> None:
    after, epoch = _int_arg("after"), websocket.args.get("epoch")
    hub = container.gateways.hub()
    queries = container.use_cases.queries()
    async with hub.watch(book_id, after or 0) as watch:
        subscribed_at = watch.backlog[-1].get("seq", 0) if watch.backlog else (after or 0)
        view = BookView(await _opening_book(queries, book_id, subscribed_at))
        current_epoch = (await container.gateways.live().position(book_id))[0]
        watch.epoch = current_epoch
        resumable = after is not None and (epoch is None or epoch == current_epoch) and _covers(watch.backlog, after)
        if resumable:
            await websocket.send(json.dumps({"type": "resumed", "after": after, "epoch": current_epoch}))
        else:
            if after:  # the whole buffer is needed to rebuild the chunks in progress
                watch.backlog = await hub.source.buffered(book_id, 0)
            for event in watch.backlog:
                view.fold(event)
            watch.last = watch.backlog[-1]["seq"] if watch.backlog else 0
            watch.backlog = []
            await websocket.send(json.dumps(view.snapshot(watch.last, current_epoch)))
        pump = asyncio.create_task(_pump(watch, view, queries, book_id))
        talk = asyncio.create_task(_listen(settings))
        kicked = asyncio.create_task(inbox.get())
        recheck = asyncio.create_task(_recheck(current_app.extensions["buko_sockets"], settings))
        stored = asyncio.create_task(_look_at_stored(container, watch, view, queries, book_id,
                                                     settings.ws_stored_check_seconds))
        tasks = [pump, talk, kicked, recheck, stored]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finished = done.pop()
        if finished is kicked and kicked.result() == RESTARTING:
            raise Closing(1012, "restarting", "Buko is restarting: reconnect in a few seconds with after= the last "
                                              "seq you received")
        if finished is kicked:
            raise Closing(4403, kicked.result(), "this account was suspended")
        finished.result()  # re-raises Closing from the pump, the listener or the recheck


def _covers(backlog: list[dict], after: int) -> bool:
    return not backlog or backlog[0].get("seq") == after + 1


async def _pump(watch, view: BookView, queries, book_id: str) -> None:
    try:
        async for event in watch.events():
            book = await _book_after(queries, book_id, event.get("seq", 0)) if view.needs_usage(event) else None
            if event.get("seq", 0) <= view.seq:  # a snapshot sent meanwhile (_look_at_stored) has it
                continue
            if book is not None:
                view.refresh(book)
            for outgoing in view.translate(event):
                await websocket.send(json.dumps(outgoing))
            if book is not None:
                await websocket.send(json.dumps(view.usage(book, event["seq"])))
    except Lagging as behind:
        raise Closing(4408, "too_slow", f"you fell behind: reconnect with after={behind.last_seq}",
                      {"after": behind.last_seq}) from None
    except Resync:
        raise Closing(4409, "resync", "the live stream was reset: reconnect without after= for a snapshot") from None


async def _look_at_stored(container, watch, view: BookView, queries, book_id: str, every: float) -> None:
    """A book's events can be lost for good: a worker killed after it stored the last chunk and
    before it announced book_written (or chunk_written, planned, book_failed). A socket that heard
    nothing for `every` seconds while its book is unfinished (or written with a chunk it was not told
    was done) looks at the stored book (one read per book for all its sockets); when it is further on
    than the socket was told, the socket is sent a fresh snapshot, as on a reconnect: the stored book,
    with the chunks in progress from the buffer."""
    books: SharedLoads = current_app.extensions["buko_sockets"].books
    heard = watch.last
    while True:
        await asyncio.sleep(every * random.uniform(0.8, 1.2))
        if watch.last != heard or view.settled:
            heard = watch.last
            continue
        try:
            book = await books.get(("stored", book_id), lambda: queries.book_outline(book_id), ttl=every / 2)
            if not view.behind(book):
                continue
            buffered = await container.gateways.hub().source.buffered(book_id, 0)
            epoch = (await container.gateways.live().position(book_id))[0]
        except DomainError:  # the book was deleted: its socket is closed when it says so
            raise
        except Exception as unavailable:  # the database or Redis cannot answer now: next time
            log.warning("could not look at book %s's stored state now: %s", book_id, unavailable)
            continue
        log.info("book %s is further on than its live events said: a fresh snapshot for a socket", book_id)
        view.reset(book)
        for event in buffered:
            view.fold(event)
        seq = max([watch.last, *(e.get("seq", 0) for e in buffered)])
        watch.last = heard = seq  # events up to it are in the snapshot: the pump skips them
        await websocket.send(json.dumps(view.snapshot(seq, epoch)))


async def _listen(settings) -> None:
    """Pings the client and expects its pongs; ignores anything else it sends."""
    last_pong = time.monotonic()

    async def ping() -> None:
        while True:
            await asyncio.sleep(settings.ws_ping_interval)
            if time.monotonic() - last_pong > settings.ws_ping_interval + settings.ws_ping_timeout:
                raise Closing(4408, "ping_timeout", "no pong within the timeout: reconnect with after=")
            await websocket.send(json.dumps({"type": "ping"}))

    pinger = asyncio.create_task(ping())
    try:
        while not pinger.done():
            receiving = asyncio.create_task(websocket.receive())
            done, _ = await asyncio.wait([receiving, pinger], return_when=asyncio.FIRST_COMPLETED)
            if pinger in done:
                receiving.cancel()
                pinger.result()
            with contextlib.suppress(json.JSONDecodeError, TypeError, AttributeError):
                if json.loads(receiving.result()).get("type") == "pong":
                    last_pong = time.monotonic()
    finally:
        pinger.cancel()


async def _recheck(registry: SocketRegistry, settings) -> None:
    """A suspension or revocation elsewhere (another web process) closes this socket too. The
    sockets of one credential share one look-up per interval, and a database that cannot answer
    now (pool exhausted, a restart) leaves the socket open: it is asked again next time."""
    while True:
        await asyncio.sleep(settings.ws_recheck_seconds * random.uniform(0.8, 1.2))
        try:
            await registry.still_valid(websocket.headers, websocket.cookies, settings.ws_recheck_seconds)
        except DomainError as refused:
            raise Closing(CLOSE.get(type(refused), 4403), refused.code, str(refused)) from None
        except Exception as unavailable:
            log.warning("could not re-check a socket's credentials now: %s", unavailable)
