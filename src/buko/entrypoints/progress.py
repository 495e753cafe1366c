"""Follow a book's live events in the terminal: a progress display while it is written.

The stored book is the truth and live events only make the display lively: the counts are
rebuilt from the stored chunks when the event stream says it was reset (`resync`), a replayed or
repeated event never counts twice, and when no event comes for a while the stored book is looked
at, so an outcome whose event was lost (Redis down at that moment) is still seen.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from buko.domain.books.book import Book, BookStatus

TERMINAL = {"planned", "book_written", "book_failed", "book_cancelled"}
LOOK_EVERY = 10.0  # seconds without an event before the stored book is looked at
Reload = Callable[[], Awaitable[Book]]


def waiting_line(event: dict) -> str:
    return f"[yellow]The model is unavailable ({event['reason']}); waiting {event['retry_after']:.0f} s.[/]"


RECONNECTING = "[yellow]Live progress: the connection to Redis was lost; reconnecting…[/]"
RESYNCED = "[yellow]Live progress was reset (Redis lost its data); continuing from the stored chapters.[/]"


class Stalled(Exception):
    """No event arrived for too long: the work is not progressing."""


class EventPump:
    """Reads a live-event stream in its own task, so the follower can wait with a timeout (to look
    at the stored book) without cancelling the stream. Close it to close the stream."""

    def __init__(self, events: AsyncIterator[dict]):
        self.queue: asyncio.Queue = asyncio.Queue()
        self.task = asyncio.create_task(self._pump(events))

    async def _pump(self, events: AsyncIterator[dict]) -> None:
        try:
            async for event in events:
                await self.queue.put(event)
        except Exception as broken:  # handed to the follower, which says so
            await self.queue.put({"type": "_broken", "error": broken})
        finally:
            await self.queue.put({"type": "_ended"})

    async def next(self, timeout: float) -> dict | None:
        try:
            event = await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None
        if event["type"] == "_broken":
            raise event["error"]
        if event["type"] == "_ended":
            raise Stalled("the live event stream ended")
        return event

    async def aclose(self) -> None:
        self.task.cancel()
        await asyncio.wait([self.task], timeout=5)


def _outcome_of(book: Book, wanted: set[str]) -> dict | None:
    """The event the stored book's state stands for, when the follower is waiting for it."""
    failure = {"type": "book_failed", "reason": book.failure}
    by_status = {
        BookStatus.WRITTEN: {"type": "book_written"},
        BookStatus.FAILED: failure,
        BookStatus.CANCELLED: {"type": "book_cancelled"},
    }
    if "planned" in wanted and book.status is BookStatus.PLANNED:
        by_status[BookStatus.PLANNED] = {"type": "revision_failed" if book.failure else "planned"}
    return by_status.get(book.status)


async def next_terminal(events: EventPump, wanted: set[str], idle: float,
                        console: Console | None = None, reload: Reload | None = None) -> dict:
    """Consume events until one of `wanted` (or a failure) arrives; say when the model is unavailable.
    A failure event is believed only when the stored book says so (it may be an old one)."""
    quiet = 0.0
    while True:
        event = await events.next(min(LOOK_EVERY, idle))
        if event is None:
            quiet += min(LOOK_EVERY, idle)
            found = _outcome_of(await reload(), wanted) if reload else None
            if found is not None:
                return found
            if quiet >= idle:
                raise Stalled(f"no progress for {idle:.0f} s")
            continue
        quiet = 0.0
        kind = event["type"]
        if console is not None:
            if kind == "waiting":
                console.print(waiting_line(event))
            elif kind == "reconnecting":
                console.print(RECONNECTING)
        if kind in {"book_failed", "book_cancelled"} and reload is not None:
            stored = await reload()
            if _outcome_of(stored, wanted) is None:
                continue  # an old event (the book was resumed since): keep following
        if kind in wanted | {"book_failed", "book_cancelled"}:
            return event


class _Counts:
    """Words per chunk: stored ones (truth) and the streamed estimate of chunks being written."""

    def __init__(self, book: Book):
        self.chapter_of = {c.index: c.chapter_number for c in book.chunks}
        self.reset(book)

    def reset(self, book: Book) -> None:
        self.done = {c.index: c.actual_words for c in book.chunks if c.done}
        self.partial: dict[int, int] = {}

    def apply(self, event: dict) -> None:
        kind, index = event["type"], event.get("index")
        if index not in self.chapter_of or (index in self.done and kind != "chunk_written"):
            return  # a repeat about a stored chunk changes nothing
        if kind == "delta":
            self.partial[index] = self.partial.get(index, 0) + len(event["text"].split())
        elif kind == "chunk_restarted":  # the model call starts over: drop what it had shown
            self.partial.pop(index, None)
        elif kind == "chunk_written":  # the stored count replaces the streamed estimate
            self.done[index] = event["words"]
            self.partial.pop(index, None)

    def words(self, chapter: int | None = None) -> int:
        return sum(
            words for part in (self.done, self.partial) for index, words in part.items()
            if chapter is None or self.chapter_of[index] == chapter
        )


async def follow_writing(book: Book, events: EventPump, console: Console, quiet: bool, idle: float,
                         reload: Reload | None = None) -> dict:
    """Show words written per chapter and in total until the book is written, failed or cancelled."""
    arch = book.architecture
    counts = _Counts(book)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:>6.0f}/{task.total:.0f} words"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, disable=quiet, transient=False) as progress:
        overall = progress.add_task("[bold]Book", total=book.target_words, completed=counts.words())
        rows = {
            ch.number: progress.add_task(f"  {ch.number:>2}. {ch.title[:40]}", total=ch.words,
                                         completed=counts.words(ch.number))
            for ch in arch.chapters
        }

        def show() -> None:
            progress.update(overall, completed=counts.words())
            for number, row in rows.items():
                progress.update(row, completed=counts.words(number))

        started, silent = time.monotonic(), 0.0
        while True:
            event = await events.next(min(LOOK_EVERY, idle))
            if event is None:
                silent += min(LOOK_EVERY, idle)
                if reload is not None:
                    stored = await reload()
                    counts.done = {c.index: c.actual_words for c in stored.chunks if c.done}
                    show()
                    found = _outcome_of(stored, set())
                    if found is not None:
                        found["elapsed"] = time.monotonic() - started
                        return found
                if silent >= idle:
                    raise Stalled(f"no progress for {idle:.0f} s")
                continue
            silent = 0.0
            kind = event["type"]
            if kind == "resync":
                progress.console.print(RESYNCED)
                if reload is not None:
                    counts.reset(await reload())
            elif kind == "reconnecting":
                progress.console.print(RECONNECTING)
            elif kind == "waiting":
                progress.console.print(waiting_line(event))
            elif kind in TERMINAL:
                if kind != "book_written" and reload is not None and _outcome_of(await reload(), set()) is None:
                    continue  # an old failure (the book was resumed since): keep following
                event["elapsed"] = time.monotonic() - started
                return event
            counts.apply(event)
            show()
