"""Live events carry an epoch: a follower whose position belongs to another epoch re-syncs."""
import asyncio

from buko.adapters.live.memory import InProcessLiveEvents


async def take(iterator, n):
    return [await asyncio.wait_for(anext(iterator), 1) for _ in range(n)]


async def test_every_event_carries_seq_and_the_epoch_given_by_position():
    live = InProcessLiveEvents()
    assert await live.position("b") == ("", 0)
    await live.publish("b", {"type": "delta", "text": "a"})
    await live.publish("b", {"type": "delta", "text": "b"})
    epoch, seq = await live.position("b")
    assert seq == 2 and epoch
    events = live.subscribe("b")
    assert [(e["seq"], e["epoch"]) for e in await take(events, 2)] == [(1, epoch), (2, epoch)]
    await events.aclose()


async def test_a_follower_of_the_current_epoch_gets_what_follows_its_position():
    live = InProcessLiveEvents()
    for i in range(4):
        await live.publish("b", {"type": "delta", "text": str(i)})
    epoch, _ = await live.position("b")
    events = live.subscribe("b", after=2, epoch=epoch)
    assert [e["text"] for e in await take(events, 2)] == ["2", "3"]
    await events.aclose()


async def test_a_follower_of_a_lost_epoch_is_told_to_resync_then_gets_everything_from_zero():
    live = InProcessLiveEvents()
    for i in range(3):
        await live.publish("b", {"type": "delta", "text": str(i)})
    await live.publish("b", {"type": "book_written"})
    old_epoch, _ = await live.position("b")
    watcher = live.subscribe("b")
    await take(watcher, 4)
    await watcher.aclose()  # last watcher of a finished book: its buffer and count are dropped
    await live.publish("b", {"type": "delta", "text": "new"})
    new_epoch, seq = await live.position("b")
    assert new_epoch != old_epoch and seq == 1
    events = live.subscribe("b", after=4, epoch=old_epoch)
    resync, first = await take(events, 2)
    assert resync == {"type": "resync", "epoch": new_epoch, "seq": 0}
    assert (first["text"], first["seq"], first["epoch"]) == ("new", 1, new_epoch)
    await events.aclose()


async def test_a_position_beyond_the_count_without_an_epoch_also_resyncs():
    live = InProcessLiveEvents()
    await live.publish("b", {"type": "delta", "text": "x"})
    events = live.subscribe("b", after=7)
    resync, first = await take(events, 2)
    assert resync["type"] == "resync" and first["seq"] == 1
    await events.aclose()
