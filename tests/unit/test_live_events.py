import asyncio

from buko.adapters.live.memory import InProcessLiveEvents


async def take(iterator, n):
    return [await asyncio.wait_for(anext(iterator), 1) for _ in range(n)]


async def test_late_subscriber_gets_the_buffer_then_live_events():
    live = InProcessLiveEvents()
    for i in range(3):
        await live.publish("b", {"type": "delta", "text": str(i)})
    events = live.subscribe("b")
    first = await take(events, 3)
    await live.publish("b", {"type": "delta", "text": "3"})
    (fourth,) = await take(events, 1)
    assert [e["seq"] for e in first + [fourth]] == [1, 2, 3, 4]
    await events.aclose()


async def test_resume_after_a_sequence_number_loses_and_repeats_nothing():
    live = InProcessLiveEvents()
    for i in range(5):
        await live.publish("b", {"type": "delta", "text": str(i)})
    events = live.subscribe("b", after=3)
    assert [e["text"] for e in await take(events, 2)] == ["3", "4"]
    await events.aclose()


async def test_books_have_separate_channels_and_subscribers_are_released():
    live = InProcessLiveEvents()
    a, b = live.subscribe("a"), live.subscribe("b")
    waiting = asyncio.ensure_future(anext(a))
    await asyncio.sleep(0)
    await live.publish("b", {"type": "x"})
    await live.publish("a", {"type": "y"})
    assert (await waiting)["type"] == "y"
    assert (await anext(b))["type"] == "x"
    await a.aclose()
    await b.aclose()
    assert not live._channels["a"].listeners


async def test_a_finished_books_buffer_is_dropped_when_its_last_watcher_leaves():
    live = InProcessLiveEvents()
    events = live.subscribe("b")
    await live.publish("b", {"type": "delta", "text": "x"})
    await live.publish("b", {"type": "book_written"})
    assert [e["type"] for e in await take(events, 2)] == ["delta", "book_written"]
    await events.aclose()
    assert "b" not in live._channels
