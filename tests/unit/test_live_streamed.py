"""A chunk's live text says where each piece goes (attempt, offset), so a watcher that lost events
(the live stream was reset: Redis came back empty) never takes a fragment, or two attempts run
together, for the chunk's text: it knows its text is not whole and shows the stored one."""
import copy
from datetime import timedelta

import pytest

from buko.adapters.llm.offline import OfflineDemoWriter
from buko.application.books.streamed import Streamed, follow
from buko.application.books.writing import WriteChunkHandler
from buko.application.commands import WriteChunk
from buko.domain.books.chunks import ChunkStatus
from buko.entrypoints.http.live_view import BookView
from tests.integration.chaos import Follower
from tests.unit.test_chunk_takeover import Heartbeats, started_book
from tests.unit.test_use_cases import stored


class DiesAfter(OfflineDemoWriter):
    """The offline writer in a worker that is killed (kill -9) after `deltas` deltas."""

    def __init__(self, deltas: int):
        super().__init__()
        self.deltas = deltas

    async def write(self, request, on_text, on_restart=None):
        left = [self.deltas]

        async def counted(text):
            if not left[0]:
                raise KeyboardInterrupt  # nothing after this runs in that worker
            left[0] -= 1
            await on_text(text)

        return await super().write(request, counted, on_restart)


async def killed_and_taken_over(app) -> tuple[str, list[dict]]:
    """Chunk 0 written by w1, killed after 2 deltas, then by w2: the events, with seq numbers."""
    app.llm = OfflineDemoWriter()
    book_id = await started_book(app)
    heartbeats = Heartbeats("w2")

    def writer(worker_id, llm):
        return WriteChunkHandler(app.uow, app.bus, llm, app.live, app.clock, worker_id, timedelta(minutes=15),
                                 liveness=heartbeats)

    with pytest.raises(KeyboardInterrupt):
        await writer("w1", DiesAfter(2))(WriteChunk(book_id, 0))
    assert await writer("w2", app.llm)(WriteChunk(book_id, 0)) is True
    events = [{**event, "seq": seq} for seq, (_, event) in enumerate(app.live.published, start=1)]
    return book_id, [e for e in events if e.get("index") == 0]


async def test_every_delta_says_its_attempt_and_where_it_starts_in_the_attempts_text(app):
    book_id, events = await killed_and_taken_over(app)
    starts = [e for e in events if e["type"] == "chunk_started"]
    assert [e["attempt"] for e in starts] == [1, 2]  # the takeover is a new attempt
    second = events[events.index(starts[1]):]
    deltas = [e for e in second if e["type"] == "delta"]
    assert {e["attempt"] for e in deltas} == {2}
    assert [e["at"] for e in deltas] == [sum(len(d["text"]) for d in deltas[:n]) for n in range(len(deltas))]
    assert "".join(e["text"] for e in deltas) == stored(app, book_id).chunks[0].text
    first = [e for e in events[: events.index(starts[1])] if e["type"] == "delta"]
    assert [e["at"] for e in first] == [0, len(first[0]["text"])] and {e["attempt"] for e in first} == {1}


def fold(events: list[dict]) -> Streamed | None:
    current = None
    for event in events:
        current = follow(current, event)
    return current


async def test_deltas_whose_start_was_lost_are_a_fragment_not_the_text(app):
    book_id, events = await killed_and_taken_over(app)
    text = stored(app, book_id).chunks[0].text
    second = events.index([e for e in events if e["type"] == "chunk_started"][1])
    whole = fold(events)
    assert whole.whole and whole.text == text
    # The live stream was reset while w2 began: its chunk_started and first delta were lost.
    missed_start = fold(events[second + 2:])
    assert not missed_start.whole and text.endswith(missed_start.text) and missed_start.text != text
    # The same loss after w1's deltas were seen: the two attempts must not run together.
    run_together = fold(events[:second] + events[second + 2:])
    assert not run_together.whole
    # A repeated delta (or one from another attempt) is not appended either.
    repeated = fold(events[: second + 3] + [events[second + 2]])
    assert not repeated.whole


async def test_a_snapshot_says_which_partial_text_is_a_fragment(app):
    book_id, events = await killed_and_taken_over(app)
    second = events.index([e for e in events if e["type"] == "chunk_started"][1])
    view = BookView(stored(app, book_id))
    view.chunks[0]["status"] = "writing"  # the snapshot is taken while chunk 0 is being written
    for event in events[second + 2: -1]:
        view.fold(event)
    snapshot = view.snapshot(events[-2]["seq"], "e2")
    assert snapshot["streamed"]["0"]["whole"] is False
    assert snapshot["streamed"]["0"]["end"] == len(snapshot["partial"]["0"]) + len(events[second + 1]["text"])
    view = BookView(stored(app, book_id))
    view.chunks[0]["status"] = "writing"
    for event in events[second: -1]:
        view.fold(event)
    assert view.snapshot(events[-2]["seq"], "e2")["streamed"]["0"] == {
        "attempt": 2, "end": len(stored(app, book_id).chunks[0].text), "whole": True}


async def test_a_follower_that_missed_the_start_of_an_attempt_ends_with_the_stored_text(app):
    """What the chaos test saw: a chunk claimed as Redis went away; its chunk_started and first
    deltas were lost with Redis, the rest came after the re-sync. The follower had taken those
    for the chunk's whole text."""
    book_id, events = await killed_and_taken_over(app)
    second = events.index([e for e in events if e["type"] == "chunk_started"][1])
    book = stored(app, book_id)
    before = copy.deepcopy(book)  # the stored book at the re-sync: chunk 0 was being written
    before.chunks[0].status, before.chunks[0].text = ChunkStatus.WRITING, ""
    reloads = []

    async def reload():
        reloads.append(1)
        return before if len(reloads) == 1 else book

    async def stream():
        yield {"type": "resync", "seq": 0}
        for event in events[second + 2:]:
            yield event
        yield {"type": "book_written", "seq": 999}

    follower = Follower(book_id, reload)
    await follower.follow(stream())
    assert follower.done[0] == book.chunks[0].text
    # at the re-sync, for the chunk whose text it could not vouch for, and at book_written (for chunks
    # whose chunk_written never came: there are none)
    assert len(reloads) == 3 and follower.unannounced == []


def started(attempt):
    return {"type": "chunk_started", "index": 0, "attempt": attempt}


def restarted(attempt):
    return {"type": "chunk_restarted", "index": 0, "attempt": attempt}


def delta(at, text, attempt):
    return {"type": "delta", "index": 0, "text": text, "at": at, "attempt": attempt}


def test_a_taken_over_worker_still_writing_changes_nothing_a_newer_attempt_replaces_the_text():
    """w1's chunk was taken over by w2 (attempt 2) while w1 (paused, cut off from its heartbeat) was
    still alive: w1's late events (attempt 1) must not show its text, whole or as a fragment."""
    followed = fold([started(1), delta(0, "Old words ", 1), started(2), delta(0, "New words", 2)])
    assert followed == Streamed("New words", 2, 9, True)
    for late in (delta(10, "from the old worker", 1), delta(0, "Old again", 1), restarted(1)):
        assert follow(followed, late) == Streamed("New words", 2, 9, True, rival=True)
    both = fold([started(1), delta(0, "Old words ", 1), started(2), delta(0, "New words", 2),
                 delta(10, "from the old worker", 1), restarted(1), delta(0, "Old again", 1), delta(9, " go on.", 2)])
    assert (both.text, both.attempt, both.whole) == ("New words go on.", 2, True)
    assert both.rival  # the old worker may still store its text: a follower takes the stored chunk
    # A newer attempt still replaces the text: from its start, or as a fragment when its start was lost.
    assert follow(both, delta(0, "Third", 3)) == Streamed("Third", 3, 5, True)
    assert follow(both, delta(7, "piece", 3)) == Streamed("piece", 3, 12, False)
    assert follow(both, restarted(3)) == Streamed(attempt=3)
    # A resumed book counts its chunks' attempts from 1 again: the claim's chunk_started starts the text.
    resumed = fold([started(3), delta(0, "Before the failure", 3), started(1), delta(0, "After", 1)])
    assert resumed == Streamed("After", 1, 5, True)
    # Events that say no attempt (older writers, a worker giving its chunk back) are followed as before.
    assert follow(both, {"type": "chunk_restarted", "index": 0}) == Streamed()
    assert follow(Streamed("a", None, 1), {"type": "delta", "index": 0, "text": "b"}).text == "ab"


async def test_a_snapshot_keeps_the_newer_attempts_text_when_a_taken_over_worker_goes_on(app):
    book_id, events = await killed_and_taken_over(app)
    second = events.index([e for e in events if e["type"] == "chunk_started"][1])
    first_end = sum(len(e["text"]) for e in events[:second] if e["type"] == "delta")
    late = [delta(first_end, " and more from w1", 1), restarted(1), delta(0, "w1 starts over", 1)]
    view = BookView(stored(app, book_id))
    view.chunks[0]["status"] = "writing"
    for event in events[:second + 3] + late + events[second + 3: -1]:
        view.fold(event)
    snapshot = view.snapshot(events[-2]["seq"], "e2")
    text = stored(app, book_id).chunks[0].text
    assert snapshot["partial"]["0"] == text
    assert snapshot["streamed"]["0"] == {"attempt": 2, "end": len(text), "whole": True}


async def test_a_follower_takes_the_stored_text_when_a_taken_over_worker_went_on(app):
    book_id, events = await killed_and_taken_over(app)
    second = events.index([e for e in events if e["type"] == "chunk_started"][1])
    book = copy.deepcopy(stored(app, book_id))
    book.chunks[0].text = "w1 starts over, and w1 stored the chunk first."  # the old worker stored it

    async def reload():
        return book

    async def stream():
        for event in events[:second + 2] + [delta(0, "w1 starts over", 1)] + events[second + 2:]:
            yield event
        yield {"type": "book_written", "seq": 999}

    follower = Follower(book_id, reload)
    await follower.follow(stream())
    assert follower.done[0] == book.chunks[0].text  # the stored chunk, not w2's streamed text
