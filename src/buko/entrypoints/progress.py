"""Follow a book's live events in the terminal: a progress display while it is written."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from buko.domain.books.book import Book

TERMINAL = {"planned", "book_written", "book_failed", "book_cancelled"}


def waiting_line(event: dict) -> str:
    return f"[yellow]The model is unavailable ({event['reason']}); waiting {event['retry_after']:.0f} s.[/]"


class Stalled(Exception):
    """No event arrived for too long: the work is not progressing."""


async def next_terminal(events: AsyncIterator[dict], wanted: set[str], idle: float,
                        console: Console | None = None) -> dict:
    """Consume events until one of `wanted` (or a failure) arrives; say when the model is unavailable."""
    while True:
        try:
            event = await asyncio.wait_for(anext(events), timeout=idle)
        except TimeoutError:
            raise Stalled(f"no progress for {idle:.0f} s") from None
        if event["type"] == "waiting" and console is not None:
            console.print(waiting_line(event))
        if event["type"] in wanted | {"book_failed", "book_cancelled"}:
            return event


async def follow_writing(book: Book, events: AsyncIterator[dict], console: Console, quiet: bool, idle: float) -> dict:
    """Show words written per chapter and in total until the book is written, failed or cancelled."""
    arch = book.architecture
    chapter_of = {c.index: c.chapter_number for c in book.chunks}
    done_words = {c.index: c.actual_words for c in book.chunks if c.done}
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:>6.0f}/{task.total:.0f} words"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, disable=quiet, transient=False) as progress:
        overall = progress.add_task("[bold]Book", total=book.target_words, completed=sum(done_words.values()))
        rows = {
            ch.number: progress.add_task(
                f"  {ch.number:>2}. {ch.title[:40]}",
                total=ch.words,
                completed=sum(w for i, w in done_words.items() if chapter_of[i] == ch.number),
            )
            for ch in arch.chapters
        }
        partial: dict[int, int] = {}
        started = time.monotonic()
        while True:
            try:
                event = await asyncio.wait_for(anext(events), timeout=idle)
            except TimeoutError:
                raise Stalled(f"no progress for {idle:.0f} s") from None
            kind = event["type"]
            if kind == "delta":
                words = len(event["text"].split())
                partial[event["index"]] = partial.get(event["index"], 0) + words
                progress.advance(rows[chapter_of[event["index"]]], words)
                progress.advance(overall, words)
            elif kind == "chunk_restarted":
                # The model call broke mid-stream and starts over: drop what it had shown.
                lost = partial.pop(event["index"], 0)
                progress.advance(rows[chapter_of[event["index"]]], -lost)
                progress.advance(overall, -lost)
            elif kind == "waiting":
                progress.console.print(waiting_line(event))
            elif kind == "chunk_written":
                # Replace the streamed estimate with the stored count.
                correction = event["words"] - partial.pop(event["index"], 0)
                progress.advance(rows[chapter_of[event["index"]]], correction)
                progress.advance(overall, correction)
            elif kind in TERMINAL:
                event["elapsed"] = time.monotonic() - started
                return event
