"""The live writing page in a real browser, fed through the real path: `buko serve` with Redis, its
live hub and socket, and events published into the book's live stream by the live-events adapter
(RedisLiveEvents) from this test, as a worker publishes them; a finished chunk is stored through the
message bus, which announces `chunk_written` as it does for a worker. No worker runs: the test
decides every event. What is checked is what the author sees in each chunk's box.

(a) deltas in order show the text as it streams; (b) a delta after a gap (its `at` beyond the text so
far) shows the chunk as a fragment ("… " before it) until the stored text replaces it exactly;
(c) a new attempt (a higher `attempt`, `at` 0) replaces the earlier attempt's text; (d) deltas of a
chunk already done change nothing; (e) chunks stored while their events were lost (a worker killed
after its commit, before book_written) show, and the book shows written, once the quiet socket looked
at the stored book; (f) a taken-over worker still writing (its events carry an older `attempt`)
changes nothing: the newer attempt's text stays, with no "… ", live and in a reloaded page's snapshot,
and a late chunk_restarted leaves a stored chunk as it is. No script error, no console error."""
from __future__ import annotations

import asyncio
import threading
import time
import uuid
from contextlib import AsyncExitStack

import pytest
from playwright.sync_api import Page

from buko.application.books.base import BookUseCase
from buko.config import Settings
from buko.domain.books.book import Book
from buko.domain.books.brief import Brief
from buko.domain.books.usage import Usage
from buko.entrypoints.worker.runtime import running
from tests.integration.browser.conftest import DESKTOP, serving
from tests.integration.browser.helpers import IDEA, register
from tests.integration.infra import REDIS_URL, container_for

GAP = "… "  # what live.js puts before a fragment


class Loop:
    """An asyncio loop in a thread of its own: Playwright's sync API holds the main thread's loop."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class Writer:
    """Plays a worker: publishes a book's live events, stores its chunks (the bus says chunk_written)."""

    def __init__(self, loop: Loop, settings: Settings):
        self.loop, self.container, self.stack = loop, container_for(settings), AsyncExitStack()
        loop.run(self.stack.enter_async_context(running(self.container, migrate=False)))
        self.live = self.container.gateways.live()

    def close(self) -> None:
        self.loop.run(self.stack.aclose())

    def book_being_written(self, email: str, chapters: int = 2, words: int = 2400) -> Book:
        """`email`'s book, planned, approved and writing (stored as a worker would find it)."""
        from buko.adapters.llm.offline import OfflineDemoWriter

        async def make() -> Book:
            async with self.container.core.uow() as uow:
                owner = await uow.users.get_by_email(email)
            brief = Brief(idea=IDEA, target_words=words, chapter_count=chapters)
            book = Book(id=uuid.uuid4().hex, owner_id=owner.id, brief=brief, created_at=owner.created_at)
            book.request_plan()
            writer = OfflineDemoWriter()
            book.architecture_ready(writer.plan(brief), Usage(calls=1), writer.name, True)
            book.approve(400)
            book.start_writing(1)
            async with self.container.core.uow() as uow:
                await uow.books.add(book)
                await uow.commit()
            return book

        return self.loop.run(make())

    def send(self, book_id: str, *events: dict) -> None:
        async def publish():
            for event in events:
                await self.live.publish(book_id, event)

        self.loop.run(publish())

    def store(self, book_id: str, index: int, text: str) -> str:
        """The chunk written, as WriteChunkHandler stores it: the bus then announces chunk_written."""
        change = BookUseCase(self.container.core.uow, self.container.use_cases.bus()).change

        async def complete():
            await change(book_id, lambda book: book.complete_chunk(index, text, Usage(calls=1)))
            async with self.container.core.uow() as uow:
                return (await uow.books.get(book_id)).chunks[index].text

        return self.loop.run(complete())

    def store_unannounced(self, book_id: str, indexes) -> dict[int, str]:
        """The chunks stored, their events lost: the worker was killed right after its commit."""
        async def complete():
            async with self.container.core.uow() as uow:
                book = await uow.books.get(book_id, for_update=True)
                for index in indexes:
                    book.complete_chunk(index, f"Chunk {index}, stored by a worker killed at once.", Usage(calls=1))
                await uow.commit()
            return {i: book.chunks[i].text for i in indexes}

        return self.loop.run(complete())


@pytest.fixture(scope="module")
def redis_live_server(tmp_path_factory):
    """`buko serve` with Redis (a key prefix of its own, deleted afterwards) and SQLite; no worker."""
    import redis as sync_redis

    prefix = f"bukotest:{uuid.uuid4().hex[:12]}:"
    home = tmp_path_factory.mktemp("live-serve")
    try:
        with serving(home, {"REDIS_URL": REDIS_URL, "BUKO_REDIS_PREFIX": prefix,
                            "BUKO_WS_STORED_CHECK_SECONDS": "1"}) as (base, data):
            yield base, Settings(data_dir=data, database_url="", redis_url=REDIS_URL, redis_prefix=prefix,
                                 anthropic_api_key=None, _env_file=None)
    finally:
        client = sync_redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture(scope="module")
def writer(redis_live_server):
    loop = Loop()
    made = Writer(loop, redis_live_server[1])
    yield made
    made.close()
    loop.close()


@pytest.fixture
def live_page(browser, redis_live_server):
    context = browser.new_context(base_url=redis_live_server[0], viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    yield page
    context.close()


def shown(page: Page, index: int) -> str:
    return page.locator(f"#chunk-{index}").text_content()


def wait_shown(page: Page, index: int, text: str, timeout: float = 15) -> None:
    """Until chunk `index`'s box shows exactly `text` (fails with what it shows instead). Polled from
    here: the page's CSP forbids the string evaluation that wait_for_function uses."""
    deadline = time.monotonic() + timeout
    while (now := shown(page, index)) != text:
        assert time.monotonic() < deadline, f"chunk {index} shows {now!r}, not {text!r}"
        page.wait_for_timeout(50)


def wait_until(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def box_status(page: Page, index: int) -> str:
    return page.locator(f"#chunk-{index}").locator("xpath=..").get_attribute("data-status")


def test_the_live_page_shows_streamed_text_fragments_new_attempts_and_the_stored_text(live_page: Page, writer):
    page = live_page
    email = register(page)
    book = writer.book_being_written(email)
    assert len(book.chunks) >= 4
    page.goto(f"/books/{book.id}/write")
    wait_until(lambda: page.evaluate("window.bukoLive?.seq ?? null") is not None)  # the snapshot arrived
    first = {c.index: c for c in book.chunks}
    started = lambda i, attempt: {"type": "chunk_started", "index": i, "chapter": first[i].chapter_number,  # noqa: E731
                                  "target_words": first[i].target_words, "attempt": attempt}
    delta = lambda i, at, text, attempt=1: {"type": "delta", "index": i, "text": text, "at": at,  # noqa: E731
                                            "attempt": attempt}

    # (a) in order: the text grows as it streams
    writer.send(book.id, started(0, 1), delta(0, 0, "Bees like "))
    wait_shown(page, 0, "Bees like ")
    assert box_status(page, 0) == "writing"
    writer.send(book.id, delta(0, 10, "quiet balconies."))
    wait_shown(page, 0, "Bees like quiet balconies.")

    # (b) a piece missing (at 20, the text so far ends at 5): a fragment, marked, until the stored text
    writer.send(book.id, started(1, 1), delta(1, 0, "Hives "), delta(1, 20, "need shade"))
    wait_shown(page, 1, GAP + "need shade")
    writer.send(book.id, delta(1, 30, " at noon."))  # continues the fragment: still a fragment
    wait_shown(page, 1, GAP + "need shade at noon.")
    stored = writer.store(book.id, 1, "Hives on a balcony need shade at noon.")
    wait_shown(page, 1, stored)
    assert box_status(page, 1) == "done"

    # (c) a new attempt starts over: its text replaces the earlier attempt's, never follows it
    writer.send(book.id, started(2, 1), delta(2, 0, "A first try "), delta(2, 12, "at the text"))
    wait_shown(page, 2, "A first try at the text")
    writer.send(book.id, delta(2, 0, "Second ", attempt=2))  # its chunk_started lost: at 0 still starts over
    wait_shown(page, 2, "Second ")
    writer.send(book.id, delta(2, 7, "attempt.", attempt=2))
    wait_shown(page, 2, "Second attempt.")
    writer.send(book.id, started(2, 3), delta(2, 0, "Third", attempt=3))  # announced this time
    wait_shown(page, 2, "Third")

    # (d) chunk 0 done: late deltas (in order, with a gap, a new attempt) change nothing
    stored0 = writer.store(book.id, 0, "Bees like quiet balconies.")
    wait_until(lambda: box_status(page, 0) == "done")  # the stored text is in (the same as streamed)
    assert shown(page, 0) == stored0
    writer.send(book.id, delta(0, 26, " And more."), delta(0, 90, "lost piece"), delta(0, 0, "Again", attempt=2),
                started(3, 1), delta(3, 0, "Marker."))  # chunk 3 shows once the late deltas were handled
    wait_shown(page, 3, "Marker.")
    assert shown(page, 0) == stored0 and box_status(page, 0) == "done"
    assert shown(page, 1) == stored and box_status(page, 1) == "done"
    assert shown(page, 2) == "Third"

    # (e) the rest stored by a worker killed before it announced them (chunk_written, book_written):
    # the quiet socket looks at the stored book and the page shows the book written, every text stored
    assert page.locator("#read-link").is_hidden()
    rest = writer.store_unannounced(book.id, [c.index for c in book.chunks if c.index > 1])
    wait_until(lambda: page.locator("#read-link").is_visible())
    for index, text in rest.items():
        wait_shown(page, index, text)
        wait_until(lambda index=index: box_status(page, index) == "done")
    assert page.locator("#book-status").text_content() == "Written"
    assert page.errors == []


def test_a_taken_over_worker_still_writing_never_replaces_the_newer_attempts_text(live_page: Page, writer):
    """(f) w1's chunk 0 was taken over by w2 (attempt 2) while w1 was still alive (paused, cut off
    from its heartbeat): w1's late deltas and chunk_restarted (attempt 1) must not show its words."""
    page = live_page
    email = register(page)
    book = writer.book_being_written(email)
    page.goto(f"/books/{book.id}/write")
    wait_until(lambda: page.evaluate("window.bukoLive?.seq ?? null") is not None)  # the snapshot arrived
    first = {c.index: c for c in book.chunks}
    started = lambda i, attempt: {"type": "chunk_started", "index": i, "chapter": first[i].chapter_number,  # noqa: E731
                                  "target_words": first[i].target_words, "attempt": attempt}
    restarted = lambda i, attempt: {"type": "chunk_restarted", "index": i, "attempt": attempt}  # noqa: E731
    delta = lambda i, at, text, attempt: {"type": "delta", "index": i, "text": text, "at": at,  # noqa: E731
                                          "attempt": attempt}

    writer.send(book.id, started(0, 1), delta(0, 0, "Old words ", 1), started(0, 2), delta(0, 0, "New words", 2))
    wait_shown(page, 0, "New words")
    # w1 goes on (at its own offset, then starting over), then w2 goes on: only w2's text shows
    writer.send(book.id, delta(0, 10, "from the old worker", 1), restarted(0, 1), delta(0, 0, "Old again", 1),
                delta(0, 9, " go on.", 2))
    wait_shown(page, 0, "New words go on.")
    assert box_status(page, 0) == "writing"

    # a page opened now: its snapshot, folded from the buffered events, holds w2's text, whole
    page.reload()
    wait_until(lambda: page.evaluate("window.bukoLive?.seq ?? null") is not None)
    wait_shown(page, 0, "New words go on.")
    writer.send(book.id, delta(0, 19, " still", 1), delta(0, 16, " End.", 2))
    wait_shown(page, 0, "New words go on. End.")
    assert GAP not in shown(page, 0)

    # stored; then w1's late chunk_restarted and deltas leave the stored text (chunk 1 shows once they were handled)
    stored = writer.store(book.id, 0, "New words go on. End.")
    wait_until(lambda: box_status(page, 0) == "done")
    writer.send(book.id, restarted(0, 1), delta(0, 0, "Old", 1), started(1, 1), delta(1, 0, "Marker.", 1))
    wait_shown(page, 1, "Marker.")
    assert shown(page, 0) == stored and box_status(page, 0) == "done"
    assert page.errors == []
