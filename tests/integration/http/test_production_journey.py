"""The author journey against PostgreSQL and Redis, written by a real `buko worker` process: the
web app follows the book through its one Redis pub/sub connection (the live hub)."""
from __future__ import annotations

import json

import pytest

from buko.bootstrap import build_container
from buko.entrypoints.http.app import create_app
from tests.integration.conftest_persistence import postgresql_url  # noqa: F401  (fixture)
from tests.integration.http.client import BRIEF, ApiClient, bearer, wait_status, ws_events
from tests.integration.infra import WorkerProcess, env_for, redis_prefix, settings_for  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


async def test_the_journey_on_postgres_and_redis_with_a_worker_process(postgresql_url, redis_prefix, tmp_path):
    knobs = dict(BUKO_OFFLINE_WPS=3000, BUKO_CHUNK_WORDS=600)
    worker = WorkerProcess(env_for(postgresql_url, redis_prefix, tmp_path / "data", **knobs), tmp_path / "worker.log")
    try:
        worker.wait_ready()
        settings = settings_for(postgresql_url, redis_prefix, data_dir=tmp_path / "data", fast_password_hashing=True,
                                offline_words_per_second=3000, chunk_words=600)
        app = create_app(build_container(settings))
        async with app.test_app() as running:
            api = ApiClient(running)
            client, csrf, _ = await api.register()
            auth = bearer(await api.token_for(client, csrf))
            book_id = (await (await client.post("/api/books", json=BRIEF, headers=auth)).get_json())["id"]
            await wait_status(client, book_id, {"planned"}, auth, timeout=60)
            await client.post(f"/api/books/{book_id}/approve", headers=auth)
            async with client.websocket(f"/ws/books/{book_id}", headers=auth) as ws:
                snapshot = json.loads(await ws.receive())
                assert snapshot["type"] == "snapshot"
                await client.post(f"/api/books/{book_id}/write", json={"lanes": 2}, headers=auth)
                events = await ws_events(ws, lambda e: e["type"] == "status" and e["status"] == "written", 120)
            hub = running.app.extensions["buko_container"].gateways.hub()
            assert hub.sockets == 0 and not hub.source.channels  # unsubscribed with the last socket
            texts: dict[int, str] = {}
            for event in events:
                if event["type"] in ("chunk_started", "chunk_restarted"):
                    texts[event["index"]] = ""
                elif event["type"] == "delta":
                    texts[event["index"]] += event["text"]
            stored = await (await client.get(f"/api/books/{book_id}/chunks?limit=100", headers=auth)).get_json()
            assert texts == {c["index"]: c["text"] for c in stored["chunks"]}
            ready = await client.get("/readyz")
            assert ready.status_code == 200 and (await ready.get_json())["checks"]["queues"] == "ok"
            listed = (await (await client.get("/api/books", headers=auth)).get_json())["books"][0]
            assert listed["status"] == "written" and listed["chunks_done"] == listed["chunks_total"] == len(texts)
            assert listed["words_written"] == sum(c["actual_words"] for c in stored["chunks"]) > 0
    finally:
        worker.stop()
        worker.ensure_stopped()
