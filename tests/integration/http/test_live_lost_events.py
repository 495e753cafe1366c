"""A watcher learns that a book is finished even when the news was never published: a worker killed
after it stored the last chunk and before it announced chunk_written and book_written. The socket,
quiet while its book is unfinished, looks at the stored book and sends a fresh snapshot."""
from __future__ import annotations

import json

import pytest

from buko.bootstrap import build_container
from buko.domain.books.usage import Usage
from buko.entrypoints.http.app import create_app
from tests.integration.http.client import BRIEF, ApiClient, bearer, wait_status, ws_events
from tests.integration.http.conftest import embedded_settings


@pytest.fixture
async def quick_check_app(tmp_path):
    app = create_app(build_container(embedded_settings(tmp_path, ws_stored_check_seconds=0.3)))
    async with app.test_app() as running:
        yield running


async def _stored_without_news(container, book_id: str, indexes) -> None:
    """What a worker killed right after its commit leaves: the chunks stored, no event dispatched."""
    async with container.core.uow() as uow:
        book = await uow.books.get(book_id, for_update=True)
        for index in indexes:
            book.complete_chunk(index, f"Chunk {index}, as stored.", Usage(calls=1))
        await uow.commit()


async def test_a_socket_learns_the_book_was_written_when_book_written_was_never_published(quick_check_app):
    api = ApiClient(quick_check_app)
    container = quick_check_app.app.extensions["buko_container"]
    client, csrf, _ = await api.register()
    auth = bearer(await api.token_for(client, csrf))
    book_id = (await (await client.post("/api/books", json=BRIEF, headers=auth)).get_json())["id"]
    await wait_status(client, book_id, {"planned"}, auth)
    await client.post(f"/api/books/{book_id}/approve", headers=auth)
    async with container.core.uow() as uow:  # writing, its chunks not queued (no worker writes them)
        book = await uow.books.get(book_id, for_update=True)
        book.start_writing(1)
        await uow.commit()
    chunks = len(book.chunks)

    async with client.websocket(f"/ws/books/{book_id}", headers=auth) as ws:
        first = json.loads(await ws.receive())
        assert first["type"] == "snapshot" and first["book"]["status"] == "writing"
        await _stored_without_news(container, book_id, range(chunks - 1))  # all but the last
        seen = await ws_events(ws, lambda e: e["type"] == "snapshot", timeout=10)
        assert seen[-1]["book"]["status"] == "writing" and seen[-1]["book"]["chunks_done"] == chunks - 1
        await _stored_without_news(container, book_id, [chunks - 1])  # the last: the book is written
        seen = await ws_events(ws, lambda e: e["type"] == "snapshot", timeout=10)
    snapshot = seen[-1]
    assert snapshot["book"]["status"] == "written"
    assert [c["status"] for c in snapshot["chunks"]] == ["done"] * chunks and snapshot["partial"] == {}
