"""The Quart app factory: the API, the live socket, the pages; errors as JSON; security headers."""
from __future__ import annotations

import asyncio
import contextlib

from quart import Quart, current_app, request
from quart_schema import Info, QuartSchema

from buko.bootstrap import Container, build_container
from buko.entrypoints.http import auth, observability
from buko.entrypoints.http.api import accounts, admin, admin_ops, billing, books, docs, health, webhooks
from buko.entrypoints.http.assets import StaticAssets
from buko.entrypoints.http.errors import register_error_handlers
from buko.entrypoints.http.openapi import BukoOpenAPIProvider
from buko.entrypoints.http.ws import SocketRegistry, register_socket
from buko.entrypoints.worker.runtime import running

CSP = ("default-src 'self'; script-src 'self'{scripts}; style-src 'self'; img-src 'self' data: blob:; "
       "font-src 'self'; connect-src 'self' ws: wss:; object-src 'none'; frame-ancestors 'none'; "
       "base-uri 'self'; form-action 'self'")  # scripts: the pages' import map, by its hash (assets.py)
WIRED = [accounts, admin, admin_ops, books, billing, webhooks]
SHUTDOWN_GRACE = 3.0  # queued exports and mail get this long to finish when the server stops


def create_app(container: Container | None = None) -> Quart:
    container = container or build_container()
    settings = container.settings()
    app = Quart(__name__)
    app.config.update(MAX_CONTENT_LENGTH=settings.http_max_body_bytes, JSON_SORT_KEYS=False)
    QuartSchema(
        app, openapi_path="/openapi.json", swagger_ui_path=None, redoc_ui_path=None, scalar_ui_path=None,
        conversion_preference="pydantic", openapi_provider_class=BukoOpenAPIProvider,
        info=Info(title="Buko API", version="1.0",
                  description="Plan, write, watch and export books. Authenticate with a session cookie "
                              "(browsers: send X-CSRF-Token on changes) or `Authorization: Bearer <API token>`."),
        security_schemes={"token": {"type": "http", "scheme": "bearer"},
                          "session": {"type": "apiKey", "in_": "cookie", "name": auth.SESSION_COOKIE}},
        security=[{"token": []}, {"session": []}],
    )
    app.extensions["buko_container"] = container
    app.extensions["buko_assets"] = assets = StaticAssets(app.static_folder, app.static_url_path)
    app.extensions["buko_csp"] = CSP.format(scripts=f" {assets.csp_source}")
    app.extensions["buko_sockets"] = SocketRegistry()
    container.wire(modules=WIRED)
    for blueprint in (health.bp, docs.bp, accounts.bp, books.bp, admin.bp, admin_ops.bp, billing.bp, webhooks.bp):
        app.register_blueprint(blueprint)
    register_socket(app)
    register_error_handlers(app)
    _register_pages(app)
    app.before_request(auth.authenticate_request)
    observability.install(app)  # request ids and logs, HTTP metrics, /metrics, the audit of admin actions
    app.after_request(_security_headers)
    stack = contextlib.AsyncExitStack()

    @app.before_serving
    async def start() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_quiet_about_cancelled_connections)
        await stack.enter_async_context(running(container, grace=SHUTDOWN_GRACE))
        hub = container.gateways.hub()
        await hub.start()
        stack.push_async_callback(hub.stop)

    @app.after_serving
    async def stop() -> None:
        await stack.aclose()

    return app


def _quiet_about_cancelled_connections(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """When the server stops, hypercorn cancels the connections still open after its grace (sockets
    whose clients have not closed their end). Python 3.11's stream callback then calls `exception()`
    on the cancelled task and logs an error with a traceback per connection (3.12 checks
    `cancelled()` first): 8,188 of them when 10,000 sockets were open. A cancelled task is not an
    error; everything else goes to the default handler."""
    if isinstance(context.get("exception"), asyncio.CancelledError):
        return
    loop.default_exception_handler(context)


def _register_pages(app: Quart) -> None:
    """The author's web pages, when this build has them (entrypoints/http/pages)."""
    try:
        from buko.entrypoints.http.pages import register_pages
    except ImportError:
        @app.get("/")
        @auth.public
        async def home():
            return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Buko</title></head>'
                    '<body><h1>Buko</h1><p>The web pages are not part of this build; the API is: '
                    '<a href="/docs">/docs</a>.</p></body></html>')
        return
    register_pages(app)


async def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", current_app.extensions["buko_csp"])
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
