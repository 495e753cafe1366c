"""Against a real `buko serve`: sockets are not compressed (each zlib state cost ~240 KB), and stopping the
server closes every socket cleanly with 1012 (reconnect) instead of cutting it."""
from __future__ import annotations

import asyncio
import json
import signal

import pytest
import websockets

from tests.integration.http.served import call, register_with_token, server, start_server  # noqa: F401  (fixture)


async def test_the_server_declines_websocket_compression_and_streams_plain_frames(server):
    base, _log = server
    token = register_with_token(base, "plain@example.com")
    book, _ = call(base, "/api/books", {"idea": "A practical guide to urban beekeeping", "target_words": 3000,
                                        "chapters": 3}, {"Authorization": f"Bearer {token}"})
    url = base.replace("http://", "ws://") + f"/ws/books/{book['id']}"
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        assert ws.response.headers.get("Sec-WebSocket-Extensions") is None  # offered by the client, declined
        assert json.loads(await ws.recv())["type"] == "snapshot"


async def test_stopping_the_server_tells_every_socket_to_reconnect_and_exits_cleanly(tmp_path):
    proc, base, log_path = start_server(tmp_path)
    try:
        token = register_with_token(base, "restart@example.com")
        book, _ = call(base, "/api/books", {"idea": "A practical guide to urban beekeeping", "target_words": 3000,
                                            "chapters": 3}, {"Authorization": f"Bearer {token}"})
        url = base.replace("http://", "ws://") + f"/ws/books/{book['id']}"
        sockets = [await websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"})
                   for _ in range(20)]
        for ws in sockets:
            assert json.loads(await ws.recv())["type"] == "snapshot"
        proc.send_signal(signal.SIGTERM)
        for ws in sockets:
            frames = []
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:  # the book's live events, then the last word
                    frames.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
            assert closed.value.rcvd.code == 1012
            assert frames[-1]["type"] == "error" and frames[-1]["error"]["code"] == "restarting"
        assert await asyncio.to_thread(proc.wait, 20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    log = log_path.read_text()
    assert "Exception in callback" not in log and "Traceback" not in log, log[-3000:]
