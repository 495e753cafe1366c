"""Against a real `buko serve`: sockets are not compressed (each zlib state cost ~240 KB)."""
from __future__ import annotations

import json

import websockets

from tests.integration.http.served import call, register_with_token, server  # noqa: F401  (fixture)


async def test_the_server_declines_websocket_compression_and_streams_plain_frames(server):
    base, _log = server
    token = register_with_token(base, "plain@example.com")
    book, _ = call(base, "/api/books", {"idea": "A practical guide to urban beekeeping", "target_words": 3000,
                                        "chapters": 3}, {"Authorization": f"Bearer {token}"})
    url = base.replace("http://", "ws://") + f"/ws/books/{book['id']}"
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        assert ws.response.headers.get("Sec-WebSocket-Extensions") is None  # offered by the client, declined
        assert json.loads(await ws.recv())["type"] == "snapshot"
