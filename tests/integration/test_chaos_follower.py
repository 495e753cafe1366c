"""The chaos test's follower ends when the book is written even when book_written was never
published (a worker killed after its commit): quiet events make it look at the stored book."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

from buko.domain.books.book import BookStatus
from tests.integration.chaos import Follower


def _stored(status, texts):
    chunks = [SimpleNamespace(index=i, text=t, done=bool(t)) for i, t in enumerate(texts)]
    return SimpleNamespace(status=status, chunks=chunks)


async def test_the_follower_learns_from_the_stored_book_that_a_book_whose_news_was_lost_is_written():
    stored = [_stored(BookStatus.WRITING, ["Zero.", ""])]

    async def reload():
        return stored[0]

    async def events():  # chunk 0 announced; chunk 1 stored, its chunk_written and book_written lost
        yield {"type": "chunk_started", "index": 0, "attempt": 1}
        yield {"type": "delta", "index": 0, "text": "Zero.", "at": 0, "attempt": 1}
        yield {"type": "chunk_written", "index": 0}
        yield {"type": "chunk_started", "index": 1, "attempt": 1}
        stored[0] = _stored(BookStatus.WRITTEN, ["Zero.", "One."])
        await asyncio.Event().wait()  # nothing more, ever

    follower = Follower("book", reload, quiet=0.1)
    await asyncio.wait_for(follower.follow(events()), 5)
    assert follower.done == {0: "Zero.", 1: "One."} and follower.unannounced == [1]
    assert follower.seen[-1] == "stored_written"
