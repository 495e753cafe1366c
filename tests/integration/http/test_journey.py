"""The whole author journey over HTTP and the websocket, on the embedded defaults."""
from __future__ import annotations

import asyncio
import json

from tests.integration.http.client import BRIEF, bearer, wait_status, ws_events


async def test_an_author_plans_edits_approves_watches_and_downloads_a_book(api):
    client, csrf, user = await api.register()
    token = await api.token_for(client, csrf)
    auth = bearer(token)

    created = await client.post("/api/books", json=BRIEF, headers=auth)
    assert created.status_code == 201, await created.get_data(as_text=True)
    book_id = (await created.get_json())["id"]

    planned = await wait_status(client, book_id, {"planned"}, auth)
    assert planned["architecture_version"] == 1
    arch = await (await client.get(f"/api/books/{book_id}/architecture", headers=auth)).get_json()
    assert arch["version"] == 1 and len(arch["architecture"]["chapters"]) == 3

    # Rename a chapter and swap the first two: the edit carries the version it was made on.
    edited = arch["architecture"]
    edited["chapters"][0]["title"] = "Bees above the traffic"
    edited["chapters"][0], edited["chapters"][1] = edited["chapters"][1], edited["chapters"][0]
    answer = await client.put(f"/api/books/{book_id}/architecture", json={"version": 1, "architecture": edited},
                              headers=auth)
    assert answer.status_code == 200, await answer.get_data(as_text=True)
    after_edit = await answer.get_json()
    assert after_edit["version"] == 2
    assert [c["number"] for c in after_edit["architecture"]["chapters"]] == [1, 2, 3]
    assert after_edit["architecture"]["chapters"][1]["title"] == "Bees above the traffic"

    # A second tab still on version 1 is refused with the current architecture, never applied.
    stale = await client.put(f"/api/books/{book_id}/architecture", json={"version": 1, "architecture": arch["architecture"]},
                             headers=auth)
    assert stale.status_code == 409
    conflict = (await stale.get_json())["error"]
    assert conflict["code"] == "conflict" and conflict["details"]["current"]["version"] == 2
    assert conflict["details"]["current"]["architecture"]["chapters"][1]["title"] == "Bees above the traffic"

    approved = await client.post(f"/api/books/{book_id}/approve", headers=auth)
    assert approved.status_code == 200
    chunks_total = len((await approved.get_json())["chunks"])
    assert chunks_total >= 3

    async with client.websocket(f"/ws/books/{book_id}", headers=auth) as ws:
        snapshot = json.loads(await ws.receive())
        assert snapshot["type"] == "snapshot" and snapshot["book"]["status"] == "approved"
        assert len(snapshot["chunks"]) == chunks_total
        started = await client.post(f"/api/books/{book_id}/write", json={"lanes": 2}, headers=auth)
        assert started.status_code == 202
        events = await ws_events(ws, lambda e: e.get("type") == "status" and e["status"] == "written")
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and seqs[0] > snapshot["seq"]
    kinds = {e["type"] for e in events}
    assert {"status", "chunk_started", "delta", "chunk_done", "progress", "usage"} <= kinds
    progress = [e for e in events if e["type"] == "progress"][-1]
    assert progress["chunks_done"] == chunks_total == progress["chunks_total"]

    # The text streamed for each chunk is the text stored for it, character for character.
    streamed: dict[int, str] = {}
    for event in events:
        if event["type"] in ("chunk_started", "chunk_restarted"):
            streamed[event["index"]] = ""
        elif event["type"] == "delta":
            streamed[event["index"]] += event["text"]
    page = await (await client.get(f"/api/books/{book_id}/chunks?limit=100", headers=auth)).get_json()
    assert page["total"] == chunks_total
    assert {c["index"]: c["text"] for c in page["chunks"]} == streamed

    book = await (await client.get(f"/api/books/{book_id}", headers=auth)).get_json()
    assert book["quality"]["target_words"] == book["target_words"] and 0 < book["quality"]["length_score"] <= 100
    listed = await (await client.get("/api/books", headers=auth)).get_json()
    assert listed["total"] == 1 and listed["books"][0]["status"] == "written"
    assert listed["books"][0]["words_written"] > 0 and "text" not in listed["books"][0]

    usage = await (await client.get(f"/api/books/{book_id}/usage", headers=auth)).get_json()
    assert usage["calls"] == chunks_total + 1  # the plan, then one call per chunk

    pdf = await _download(client, book_id, "pdf", auth)
    assert pdf.startswith(b"%PDF")
    epub = await _download(client, book_id, "epub", auth)
    assert epub[:2] == b"PK"

    # Regenerate one chunk: only it changes; the exports follow the new text.
    before = {c["index"]: c["text"] for c in page["chunks"]}
    again = await client.post(f"/api/books/{book_id}/chunks/1/regenerate", headers=auth)
    assert again.status_code == 202
    await wait_status(client, book_id, {"written"}, auth)
    after = {c["index"]: c["text"] for c in (await (await client.get(
        f"/api/books/{book_id}/chunks?limit=100", headers=auth)).get_json())["chunks"]}
    assert {i: t for i, t in after.items() if i != 1} == {i: t for i, t in before.items() if i != 1}
    assert after[1]

    deleted = await client.delete(f"/api/books/{book_id}", headers=auth)
    assert deleted.status_code == 200
    gone = await client.get(f"/api/books/{book_id}", headers=auth)
    assert gone.status_code == 404 and (await gone.get_json())["error"]["code"] == "not_found"


async def _download(client, book_id: str, fmt: str, auth: dict) -> bytes:
    async with asyncio.timeout(60):
        while True:
            response = await client.get(f"/api/books/{book_id}/export/{fmt}", headers=auth)
            if response.status_code == 200:
                assert "attachment" in response.headers["Content-Disposition"]
                return await response.get_data()
            assert response.status_code == 202, await response.get_data(as_text=True)
            assert int(response.headers["Retry-After"]) >= 1
            await asyncio.sleep(0.2)


async def test_polling_a_download_queues_its_rendering_once(api, app, monkeypatch):
    client, csrf, _ = await api.register()
    auth = bearer(await api.token_for(client, csrf))
    book_id = (await (await client.post("/api/books", json=BRIEF, headers=auth)).get_json())["id"]
    await wait_status(client, book_id, {"planned"}, auth)
    await client.post(f"/api/books/{book_id}/approve", headers=auth)
    await client.post(f"/api/books/{book_id}/write", json={"lanes": 1}, headers=auth)
    await wait_status(client, book_id, {"written"}, auth)
    gateways = app.app.extensions["buko_container"].gateways
    sent = []
    monkeypatch.setattr(gateways.queue(), "enqueue", lambda command: _record(sent, command))
    monkeypatch.setattr(gateways.artifacts(), "find", _not_there)  # as if nothing were rendered yet
    for _ in range(10):
        response = await client.get(f"/api/books/{book_id}/export/docx", headers=auth)
        assert response.status_code == 202
    assert [(c.book_id, c.format) for c in sent if type(c).__name__ == "ExportBook"] == [(book_id, "docx")]


async def _record(sent: list, command) -> None:
    sent.append(command)


async def _not_there(book_id: str, name: str) -> None:
    return None
