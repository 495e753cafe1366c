"""The live socket: a client that drops mid-chunk resumes with `after=` and loses nothing, repeats
nothing; a client too slow for its queue is told to resume, and does, without loss."""
from __future__ import annotations

import asyncio
import json

import pytest

from buko.adapters.live.hub import InProcessHubSource, Lagging, LiveHub
from buko.adapters.live.memory import InProcessLiveEvents
from buko.bootstrap import build_container
from buko.entrypoints.http.app import create_app
from tests.integration.http.client import BRIEF, ApiClient, bearer, wait_status, ws_events
from tests.integration.http.conftest import embedded_settings


@pytest.fixture
async def paced_api(tmp_path):
    """The offline writer at a human pace, so a chunk is still being written when the client drops."""
    app = create_app(build_container(embedded_settings(tmp_path, offline_words_per_second=1500)))
    async with app.test_app() as running:
        yield ApiClient(running)


async def test_a_client_that_drops_mid_chunk_resumes_with_after_and_gets_the_exact_text(paced_api):
    client, csrf, _ = await paced_api.register()
    auth = bearer(await paced_api.token_for(client, csrf))
    book_id = (await (await client.post("/api/books", json=BRIEF, headers=auth)).get_json())["id"]
    await wait_status(client, book_id, {"planned"}, auth)
    await client.post(f"/api/books/{book_id}/approve", headers=auth)

    async with client.websocket(f"/ws/books/{book_id}", headers=auth) as ws:
        snapshot = json.loads(await ws.receive())
        await client.post(f"/api/books/{book_id}/write", json={"lanes": 1}, headers=auth)
        first = await ws_events(ws, lambda e: e["type"] == "delta" and e["index"] == 1)
    last_seq, epoch = first[-1]["seq"], first[-1].get("epoch") or snapshot["epoch"]
    chunk_one_done = any(e["type"] == "chunk_done" and e["index"] == 1 for e in first)
    assert not chunk_one_done  # dropped in the middle of chunk 1

    async with client.websocket(f"/ws/books/{book_id}?after={last_seq}&epoch={epoch}", headers=auth) as ws:
        resumed = json.loads(await ws.receive())
        assert resumed == {"type": "resumed", "after": last_seq, "epoch": epoch}
        rest = await ws_events(ws, lambda e: e["type"] == "status" and e["status"] == "written")

    events = first + rest
    seqs = [e["seq"] for e in events if e["type"] in ("delta", "chunk_started", "chunk_restarted")]
    assert len(seqs) == len(set(seqs)) and seqs == sorted(seqs)  # nothing repeated, in order
    assert rest[0]["seq"] == last_seq + 1  # nothing missed at the seam
    stored = await (await client.get(f"/api/books/{book_id}/chunks?limit=100", headers=auth)).get_json()
    assert _assemble(events) == {c["index"]: c["text"] for c in stored["chunks"]}


async def test_a_fresh_connection_mid_chunk_gets_the_partial_text_in_its_snapshot(paced_api):
    client, csrf, _ = await paced_api.register()
    auth = bearer(await paced_api.token_for(client, csrf))
    book_id = (await (await client.post("/api/books", json=BRIEF, headers=auth)).get_json())["id"]
    await wait_status(client, book_id, {"planned"}, auth)
    await client.post(f"/api/books/{book_id}/approve", headers=auth)
    await client.post(f"/api/books/{book_id}/write", json={"lanes": 1}, headers=auth)
    async with client.websocket(f"/ws/books/{book_id}", headers=auth) as ws:
        await ws_events(ws, lambda e: e["type"] == "delta" and e["index"] == 1)
    async with client.websocket(f"/ws/books/{book_id}", headers=auth) as late:
        snapshot = json.loads(await late.receive())
        assert snapshot["type"] == "snapshot" and snapshot["book"]["status"] == "writing"
        rest = await ws_events(late, lambda e: e["type"] == "status" and e["status"] == "written")
    partial = {int(i): text for i, text in snapshot["partial"].items()}
    assert partial, "a chunk was in progress"
    texts = _assemble(rest, start=partial)
    stored = await (await client.get(f"/api/books/{book_id}/chunks?limit=100", headers=auth)).get_json()
    for chunk in stored["chunks"]:
        if chunk["index"] in texts:
            assert texts[chunk["index"]] == chunk["text"]


async def test_a_watcher_that_falls_behind_is_told_where_to_resume_and_loses_nothing():
    live = InProcessLiveEvents()
    hub = LiveHub(InProcessHubSource(live), queue_size=5)
    await hub.start()
    try:
        for n in range(3):
            await live.publish("b1", {"type": "delta", "index": 0, "text": f"{n} "})
        got: list[dict] = []
        async with hub.watch("b1", after=0) as slow:
            events = slow.events()
            got.append(await anext(events))  # reads one, then stops reading while 20 more arrive
            for n in range(3, 23):
                await live.publish("b1", {"type": "delta", "index": 0, "text": f"{n} "})
            await asyncio.sleep(0)
            with pytest.raises(Lagging) as behind:
                while True:
                    got.append(await anext(events))
        async with hub.watch("b1", after=behind.value.last_seq) as again:
            assert [e["seq"] for e in again.backlog][0] == behind.value.last_seq + 1
            events = again.events()
            while len(got) < 23:
                got.append(await anext(events))
        assert [e["seq"] for e in got] == list(range(1, 24))
        assert "".join(e["text"] for e in got) == "".join(f"{n} " for n in range(23))
        assert hub.sockets == 0 and not hub.source.pumps  # the book's pump stops with its last watcher
    finally:
        await hub.stop()


def _assemble(events: list[dict], start: dict | None = None) -> dict[int, str]:
    texts = dict(start or {})
    for event in events:
        if event["type"] in ("chunk_started", "chunk_restarted"):
            texts[event["index"]] = ""
        elif event["type"] == "delta":
            texts[event["index"]] = texts.get(event["index"], "") + event["text"]
    return texts


async def test_a_socket_too_slow_for_its_queue_is_closed_with_where_to_resume_and_loses_nothing(tmp_path):
    """The writer publishes faster than this socket drains a 10-event queue: the server closes it
    with `too_slow` and the sequence to resume from; the client resumes and ends with the stored text."""
    app = create_app(build_container(embedded_settings(tmp_path, ws_queue_events=10, chunk_words=2000)))
    async with app.test_app() as running:
        api = ApiClient(running)
        client, csrf, _ = await api.register()
        auth = bearer(await api.token_for(client, csrf))
        book_id = (await (await client.post("/api/books", json=BRIEF, headers=auth)).get_json())["id"]
        await wait_status(client, book_id, {"planned"}, auth)
        await client.post(f"/api/books/{book_id}/approve", headers=auth)
        events, closes, after = [], 0, None
        started = False
        while True:
            path = f"/ws/books/{book_id}" + (f"?after={after}" if after is not None else "")
            async with client.websocket(path, headers=auth) as ws:
                first = json.loads(await ws.receive())
                assert first["type"] == ("resumed" if after is not None else "snapshot")
                last_seen = first.get("seq", after)
                if not started:
                    await client.post(f"/api/books/{book_id}/write", json={"lanes": 3}, headers=auth)
                    started = True
                got = await ws_events(ws, lambda e: e["type"] == "error" or
                                      (e["type"] == "status" and e["status"] == "written"))
            delivered = [e for e in got if e["type"] != "error"]
            events += delivered
            if got[-1]["type"] != "error":
                break
            assert got[-1]["error"]["code"] == "too_slow"
            after = got[-1]["error"]["details"]["after"]
            assert after == (delivered[-1]["seq"] if delivered else last_seen)  # all up to there was delivered
            closes += 1
        assert closes >= 1, "the socket was never too slow: the test did not test anything"
        stored = await (await client.get(f"/api/books/{book_id}/chunks?limit=100", headers=auth)).get_json()
        assert _assemble(events) == {c["index"]: c["text"] for c in stored["chunks"]}
