"""`buko serve`: the web app under hypercorn, one process or several workers."""
from __future__ import annotations

import asyncio
import signal

from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config

from buko.config import Settings


SOCKET_CLOSE_GRACE = 2.0  # seconds for open sockets to be told to reconnect before the server stops


class ServeRefused(Exception):
    """The settings cannot serve what was asked; the message says what to change."""


def hypercorn_config(settings: Settings, host: str, port: int, workers: int) -> Config:
    config = Config()
    config.bind = [f"{host}:{port}"]
    config.workers = workers
    config.accesslog = None
    config.websocket_ping_interval = settings.ws_ping_interval
    config.graceful_timeout = 5
    config.keep_alive_timeout = 75
    return config


def without_websocket_compression() -> None:
    """Decline permessage-deflate on websockets. hypercorn offers it to every client that asks
    (browsers always do) and has no setting for it; its zlib state measured 239 KB per socket
    (bench/api.py, tracemalloc), about two thirds of an idle socket's memory, to compress deltas of
    a few dozen bytes. Declining is allowed by RFC 7692: the client then sends plain frames."""
    from hypercorn.protocol import ws_stream
    from wsproto.extensions import PerMessageDeflate

    class DeclinedDeflate(PerMessageDeflate):
        def accept(self, offer):
            return None

    ws_stream.PerMessageDeflate = DeclinedDeflate


def behind_proxies(app, hops: int):
    """Behind `hops` trusted proxies (nginx), the client's address comes from X-Forwarded-For:
    rate limits count real clients, not the proxy. Without proxies the header is never trusted."""
    if hops <= 0:
        return app
    from hypercorn.middleware import ProxyFixMiddleware

    return ProxyFixMiddleware(app, mode="legacy", trusted_hops=hops)


def check(settings: Settings, workers: int) -> None:
    if workers > 1 and not settings.redis_url:
        raise ServeRefused("--workers above 1 needs REDIS_URL: without it queues and live events live in one "
                           "process, so the other workers' sockets would never see a book being written")
    if workers > 1 and not settings.database_url:
        raise ServeRefused("--workers above 1 needs DATABASE_URL (PostgreSQL): SQLite serialises every writer")


def run(settings: Settings, host: str, port: int, workers: int, announce) -> int:
    check(settings, workers)
    without_websocket_compression()
    config = hypercorn_config(settings, host, port, workers)
    if workers > 1:
        from hypercorn.run import run as run_workers

        config.application_path = "buko.entrypoints.http.asgi:app"
        from buko.adapters.observability.multiproc import prepare_for_workers

        prepare_for_workers()  # /metrics in any worker adds up every worker's samples (README: Observability)
        announce()
        return run_workers(config)

    from buko.entrypoints.http.app import create_app

    app = create_app()

    @app.before_serving
    async def ready() -> None:  # after the app's own start-up: migrations done, queues running
        announce()

    async def main() -> None:
        signalled = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, signalled.set)

        async def stop() -> None:
            await signalled.wait()
            await app.extensions["buko_sockets"].close_all(grace=SOCKET_CLOSE_GRACE)

        await hypercorn_serve(behind_proxies(app, settings.proxy_hops), config, shutdown_trigger=stop)

    asyncio.run(main())
    return 0
