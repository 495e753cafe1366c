"""Following a book in the terminal: stored chunks are the truth; replays, resets, lost events and
old failures never mislead the follower."""
import asyncio
import io

from rich.console import Console

from buko.domain.books.book import BookStatus
from buko.domain.books.usage import Usage
from buko.entrypoints import progress
from buko.entrypoints.progress import EventPump, Stalled, follow_writing, next_terminal
from tests.unit.test_book_lifecycle import LEASE, NOW, writing_book


async def stream(events, then_wait=True):
    for event in events:
        yield event
    if then_wait:
        await asyncio.Event().wait()


def console():
    out = io.StringIO()
    return Console(file=out, width=120, force_terminal=False), out


def finish(book, index):
    book.claim_chunk(index, "w", NOW, LEASE)
    book.complete_chunk(index, "word " * 100, Usage(calls=1))


async def test_an_old_failure_in_the_stream_is_ignored_while_the_stored_book_is_writing():
    book, _ = writing_book()
    finish(book, 0)

    async def reload():
        return book

    events = EventPump(stream([
        {"type": "book_failed", "reason": "from an earlier run", "seq": 1},
        {"type": "chunk_written", "index": 1, "words": 50, "seq": 2},
    ]))
    term, out = console()
    task = asyncio.create_task(follow_writing(book, events, term, True, 30, reload=reload))
    await asyncio.sleep(0.1)
    assert not task.done()  # it keeps following
    for index in range(1, len(book.chunks)):
        finish(book, index)
    await events.queue.put({"type": "book_written", "seq": 3})
    outcome = await asyncio.wait_for(task, 2)
    assert outcome["type"] == "book_written"
    await events.aclose()


async def test_replayed_and_repeated_events_never_count_twice_and_a_resync_reloads_the_stored_chunks():
    book, _ = writing_book()
    finish(book, 0)
    stored_words = book.chunks[0].actual_words
    reloaded = []

    async def reload():
        reloaded.append(True)
        return book

    counts = progress._Counts(book)
    for event in [{"type": "delta", "index": 0, "text": "extra words"},  # about a stored chunk: ignored
                  {"type": "chunk_written", "index": 1, "words": 40},
                  {"type": "chunk_written", "index": 1, "words": 40},  # repeated
                  {"type": "delta", "index": 2, "text": "one two three"}]:
        counts.apply(event)
    assert counts.words() == stored_words + 40 + 3
    counts.apply({"type": "chunk_restarted", "index": 2})
    assert counts.words() == stored_words + 40

    term, out = console()
    events = EventPump(stream([{"type": "resync", "epoch": "new", "seq": 0}, {"type": "reconnecting", "seq": 0}]))
    task = asyncio.create_task(follow_writing(book, events, term, False, 30, reload=reload))
    await asyncio.sleep(0.1)
    assert reloaded and not task.done()
    task.cancel()
    await events.aclose()
    text = out.getvalue()
    assert "reset" in text and "reconnecting" in text


async def test_an_outcome_whose_event_was_lost_is_found_in_the_stored_book(monkeypatch):
    monkeypatch.setattr(progress, "LOOK_EVERY", 0.05)
    book, _ = writing_book()

    async def reload():
        return book

    events = EventPump(stream([]))
    task = asyncio.create_task(follow_writing(book, events, console()[0], True, 30, reload=reload))
    await asyncio.sleep(0.1)
    assert not task.done()
    for index in range(len(book.chunks)):
        finish(book, index)  # written, but its book_written event never made it (Redis was down)
    outcome = await asyncio.wait_for(task, 2)
    assert outcome["type"] == "book_written" and book.status is BookStatus.WRITTEN
    await events.aclose()


async def test_planning_waits_through_silence_and_gives_up_only_after_the_idle_time(monkeypatch):
    monkeypatch.setattr(progress, "LOOK_EVERY", 0.05)
    book, _ = writing_book()

    async def reload():
        return book

    events = EventPump(stream([]))
    try:
        await next_terminal(events, {"planned"}, 0.2, reload=reload)
        raise AssertionError("it should have stalled")
    except Stalled:
        pass
    book.fail("the model refused")
    assert (await next_terminal(events, {"planned"}, 0.2, reload=reload))["type"] == "book_failed"
    await events.aclose()
