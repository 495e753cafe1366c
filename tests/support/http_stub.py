"""Serve a Quart app on 127.0.0.1 (an ephemeral port) inside the test's event loop."""
from __future__ import annotations

import asyncio
import socket
import threading

from hypercorn.asyncio import serve
from hypercorn.config import Config


class LocalServer:
    def __init__(self, app):
        self.app, self.port = app, 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = Config()
        config.bind = [f"127.0.0.1:{self.port}"]
        config.accesslog = config.errorlog = None
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(serve(self.app, config, shutdown_trigger=self._stop.wait))
        for _ in range(200):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return self
            except OSError:
                await asyncio.sleep(0.02)
        raise RuntimeError("stub server did not start")

    async def __aexit__(self, *exc):
        self._stop.set()
        await asyncio.wait_for(self._task, 10)


class InThread:
    """Run a LocalServer on its own event loop in a thread, for synchronous tests (Playwright's sync API)."""

    def __init__(self, server: LocalServer):
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.__aenter__(), self.loop).result(30)
        return self.server

    def __exit__(self, *exc):
        try:
            asyncio.run_coroutine_threadsafe(self.server.__aexit__(None, None, None), self.loop).result(30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()
