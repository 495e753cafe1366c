"""Metrics, structured logs and the ids that follow a book, on the embedded setup through the API."""
from __future__ import annotations

import asyncio
import json
import logging

import pytest

from buko.adapters.observability import logs
from buko.application.commands import MakeAdmin
from tests.integration.http.client import BRIEF, bearer, wait_status
from tests.support.prom import value

LOOPBACK = {"client": ("127.0.0.1", 40000)}
PUBLIC = {"client": ("203.0.113.9", 40000)}


async def scrape(client, scope=LOOPBACK, headers=None):
    response = await client.get("/metrics", scope_base=scope, headers=headers or {})
    return response.status_code, await response.get_data(as_text=True)


async def admin_token(api, app) -> dict:
    client, csrf, user = await api.register()
    await app.app.extensions["buko_container"].use_cases.account_admin().make_admin(MakeAdmin(user["email"]))
    return bearer(await api.token_for(client, csrf))


async def download(client, book_id: str, fmt: str, auth: dict):
    async with asyncio.timeout(60):
        while True:
            response = await client.get(f"/api/books/{book_id}/export/{fmt}", headers=auth)
            if response.status_code == 200:
                return await response.get_data()
            assert response.status_code == 202, await response.get_data(as_text=True)
            await asyncio.sleep(0.5)


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "logs" / "structured.jsonl"
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    logs.configure("INFO", "json", path)
    yield path
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


async def test_a_book_through_the_api_shows_in_metrics_and_its_logs_share_the_ids(api, app, log_file):
    client, csrf, _user = await api.register()
    auth = bearer(await api.token_for(client, csrf))
    _, before = await scrape(client)
    response = await client.post("/api/books", json=BRIEF, headers={**auth, "X-Request-ID": "req-create-1"})
    assert response.status_code == 201 and response.headers["X-Request-ID"] == "req-create-1"
    book_id = (await response.get_json())["id"]
    await wait_status(client, book_id, {"planned"}, auth)
    assert (await client.post(f"/api/books/{book_id}/approve", headers=auth)).status_code in (200, 202)
    assert (await client.post(f"/api/books/{book_id}/write", json={"lanes": 2}, headers=auth)).status_code == 202
    book = await wait_status(client, book_id, {"written"}, auth, timeout=120)
    assert (await download(client, book_id, "pdf", auth)).startswith(b"%PDF")
    status, after = await scrape(client)
    assert status == 200
    chunks = len(book["chunks"])

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("buko_http_requests_total", method="POST", route="/api/books", status="201") == 1
    assert delta("buko_tasks_total", task="plan_book", outcome="ok") == 1
    assert delta("buko_tasks_total", task="write_chunk", outcome="ok") == chunks
    assert delta("buko_model_calls_total", kind="chunk", outcome="ok") == chunks
    assert delta("buko_model_calls_total", kind="plan", outcome="ok") == 1
    assert delta("buko_chunk_write_seconds_count", outcome="ok") == chunks
    assert delta("buko_model_api_requests_total") == chunks + 1  # the offline writer counts calls, not tokens
    assert delta("buko_export_duration_seconds_count", format="pdf", outcome="ok") == 1
    assert delta("buko_task_duration_seconds_count", task="export_book") >= 4  # pdf, epub, docx, md
    assert value(after, "buko_books", status="written") >= 1
    assert value(after, "buko_queue_consumers", queue="book_generation_normal") == 1
    assert "buko_websockets_open" in after

    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    mine = [line for line in lines if line.get("book_id") == book_id]
    created = [line for line in mine if line.get("request_id") == "req-create-1"]
    assert any(line["event"] == "request" and line["status"] == 201 for line in created)
    queued = next(line for line in created if line["event"] == "task queued")
    plan_task = queued["queued_task_id"]
    planning = [line for line in mine if line.get("task_id") == plan_task]
    events = [line["event"] for line in planning]
    assert events[0] == "task taken" and "model call" in events and events[-1] == "task finished"
    assert all(line["request_id"] == "req-create-1" and line["task"] == "plan_book" for line in planning)
    chunk_calls = [line for line in mine if line["event"] == "model call" and line["kind"] == "chunk"]
    assert len(chunk_calls) == chunks and all(line.get("task_id") and line["task"] == "write_chunk"
                                              for line in chunk_calls)
    assert {line["event"] for line in mine if line.get("task") == "write_chunk"} >= {"task taken", "task finished"}


async def test_metrics_answer_loopback_allowed_networks_and_admins_only(api, app):
    client = api.client()
    assert (await scrape(client, PUBLIC))[0] == 403
    assert (await scrape(client, {"client": ("<local>", 0)}))[0] == 403
    author_client, csrf, _ = await api.register()
    author = bearer(await api.token_for(author_client, csrf))
    assert (await scrape(client, PUBLIC, author))[0] == 403
    admin = await admin_token(api, app)
    status, text = await scrape(client, PUBLIC, admin)
    assert status == 200 and "buko_http_requests_total" in text
    assert (await scrape(client, {"client": ("::1", 0)}))[0] == 200


@pytest.mark.parametrize("settings_extra", [{"metrics_allow": "203.0.113.0/24, 10.1.2.3"}])
async def test_metrics_answer_the_networks_in_buko_metrics_allow(tmp_path, settings_extra):
    from buko.bootstrap import build_container
    from buko.entrypoints.http.app import create_app
    from tests.integration.http.conftest import embedded_settings

    app = create_app(build_container(embedded_settings(tmp_path, **settings_extra)))
    async with app.test_app() as running:
        client = running.test_client()
        assert (await scrape(client, PUBLIC))[0] == 200
        assert (await scrape(client, {"client": ("10.1.2.3", 1)}))[0] == 200
        assert (await scrape(client, {"client": ("10.1.2.4", 1)}))[0] == 403
        assert (await scrape(client, {"client": ("198.51.100.1", 1)}))[0] == 403


def test_bad_metrics_networks_are_a_clear_configuration_error():
    from pydantic import ValidationError

    from buko.config import Settings

    with pytest.raises(ValidationError, match="BUKO_METRICS_ALLOW"):
        Settings(metrics_allow="10.0.0.0/8,not-a-network")
