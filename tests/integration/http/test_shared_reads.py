"""What many requests and sockets ask at once is asked of the database once; a database that cannot
give a connection in time is a 503 with Retry-After, never a 500."""
from __future__ import annotations

import asyncio
import json

import pytest

from buko.bootstrap import build_container
from buko.entrypoints.http.app import create_app
from tests.integration.conftest_persistence import postgresql_url  # noqa: F401  (fixture)
from tests.integration.http.client import BRIEF, ApiClient, bearer, wait_status, ws_events
from tests.integration.http.conftest import embedded_settings
from tests.integration.infra import redis_prefix, settings_for  # noqa: F401  (fixture)


async def test_sockets_opening_together_on_a_book_share_its_reads_and_each_gets_a_true_snapshot(tmp_path):
    app = create_app(build_container(embedded_settings(tmp_path)))
    async with app.test_app() as running:
        api = ApiClient(running)
        client, csrf, _ = await api.register()
        auth = bearer(await api.token_for(client, csrf))
        book_id = (await (await client.post("/api/books", json=BRIEF, headers=auth)).get_json())["id"]
        await wait_status(client, book_id, {"planned"}, auth)
        stored = await (await client.get(f"/api/books/{book_id}", headers=auth)).get_json()
        loads = running.app.extensions["buko_sockets"].books.loads
        loads.clear()

        async def watch() -> dict:
            async with client.websocket(f"/ws/books/{book_id}", headers=auth) as ws:
                snapshot = json.loads(await ws.receive())
                await asyncio.sleep(0.3)  # all 40 open at once
                return snapshot

        snapshots = await asyncio.gather(*(watch() for _ in range(40)))
        assert {s["type"] for s in snapshots} == {"snapshot"}
        assert {s["book"]["status"] for s in snapshots} == {"planned"}
        assert {s["book"]["title"] for s in snapshots} == {stored["title"]}
        assert loads["owner"] <= 2 and loads["open"] <= 2, loads  # one read each (two if a second passed)


async def test_every_watcher_of_a_writing_book_shares_one_read_per_milestone(tmp_path):
    app = create_app(build_container(embedded_settings(tmp_path, offline_words_per_second=4000)))
    async with app.test_app() as running:
        api = ApiClient(running)
        client, csrf, _ = await api.register()
        auth = bearer(await api.token_for(client, csrf))
        book_id = (await (await client.post("/api/books", json=BRIEF, headers=auth)).get_json())["id"]
        await wait_status(client, book_id, {"planned"}, auth)
        await client.post(f"/api/books/{book_id}/approve", headers=auth)
        loads = running.app.extensions["buko_sockets"].books.loads
        opened = asyncio.Event()
        ready: list[int] = []

        async def watch() -> list[dict]:
            async with client.websocket(f"/ws/books/{book_id}", headers=auth) as ws:
                json.loads(await ws.receive())
                ready.append(1)
                if len(ready) == 5:
                    opened.set()
                written: list[dict] = []

                def done(event: dict) -> bool:  # the usage that follows the book's last milestone
                    if event["type"] == "status" and event["status"] == "written":
                        written.append(event)
                    return bool(written) and event["type"] == "usage" and event["seq"] == written[0]["seq"]

                return await ws_events(ws, done, 120)

        watchers = [asyncio.create_task(watch()) for _ in range(5)]
        await asyncio.wait_for(opened.wait(), 30)
        loads.clear()
        await client.post(f"/api/books/{book_id}/write", json={"lanes": 1}, headers=auth)
        seen = await asyncio.gather(*watchers)
        milestones = [e for e in seen[0] if e["type"] == "usage"]
        assert milestones, "each milestone is followed by the book's usage"
        assert all([e for e in other if e["type"] == "usage"] == milestones for other in seen[1:])
        assert loads["event"] == len(milestones), (loads, len(milestones))  # not 5 x


@pytest.mark.postgres
@pytest.mark.redis
async def test_an_exhausted_connection_pool_answers_503_with_retry_after(postgresql_url, redis_prefix, tmp_path):  # noqa: F811
    settings = settings_for(postgresql_url, redis_prefix, data_dir=tmp_path / "data", fast_password_hashing=True,
                            db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.5)
    container = build_container(settings)
    app = create_app(container)
    async with app.test_app() as running:
        api = ApiClient(running)
        client, csrf, _ = await api.register()
        auth = bearer(await api.token_for(client, csrf))
        assert (await client.get("/api/books", headers=auth)).status_code == 200
        async with container.core.engine().connect() as held:  # the pool's only connection
            await held.exec_driver_sql("SELECT 1")
            busy = await client.get("/api/books", headers=auth)
            assert busy.status_code == 503
            assert busy.headers["Retry-After"] == "2"
            body = await busy.get_json()
            assert body["error"]["code"] == "busy" and body["error"]["details"] == {"retry_after": 2}
        assert (await client.get("/api/books", headers=auth)).status_code == 200
