"""Request ids and structured request logs, HTTP metrics, /metrics, and the audit of admin actions.

`install(app)` is called once by create_app, after authentication is registered.
"""
from __future__ import annotations

import asyncio
import atexit
import contextlib
import ipaddress
import logging
import os
import re
import time
import uuid

from quart import Blueprint, Quart, Response, current_app, g, request, websocket

from buko.adapters.observability import logs, metrics
from buko.domain.errors import Forbidden
from buko.entrypoints.http.audit_hooks import audit_after, audit_before
from buko.entrypoints.http.auth import public

HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
SAMPLE_SOCKETS_EVERY = 2.0
log = logs.get_logger("buko.http")
bp = Blueprint("metrics", __name__)


def _request_id(sent: str) -> str:
    return sent if _VALID_ID.match(sent or "") else uuid.uuid4().hex


async def start_request() -> None:
    logs.clear()
    g.request_id = _request_id(request.headers.get(HEADER, ""))
    g.request_started = time.perf_counter()
    logs.bind(request_id=g.request_id, method=request.method, path=request.path)
    book_id = (request.view_args or {}).get("book_id")
    if book_id:
        logs.bind(book_id=book_id)


async def start_websocket() -> None:
    logs.clear()
    logs.bind(request_id=_request_id(websocket.headers.get(HEADER, "")), path=websocket.path,
              book_id=(websocket.view_args or {}).get("book_id"))


async def finish_request(response: Response) -> Response:
    started = g.get("request_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    status = response.status_code
    metrics.HTTP_REQUESTS.labels(request.method, route, str(status)).inc()
    metrics.HTTP_LATENCY.labels(request.method, route).observe(seconds)
    caller = g.get("caller")
    if caller is not None:
        logs.bind(user_id=caller.user.id)
    if g.get("request_id"):
        response.headers[HEADER] = g.request_id
    await _business_events(response, status)
    if not request.path.startswith("/static/"):
        level = logging.ERROR if status >= 500 else logging.INFO
        log.log(level, "request", route=route, status=status, seconds=round(seconds, 4))
    return response


async def _business_events(response: Response, status: int) -> None:
    """What only the web tier sees: downloads (a funnel step) and webhook verdicts."""
    args = request.view_args or {}
    if request.endpoint == "webhooks.receive":
        verdict = "error" if status >= 500 else "bad_signature" if status in (401, 403) else "refused"
        if status < 300:
            body = await response.get_json() if response.is_json else None
            verdict = (body or {}).get("status", "accepted")
        metrics.WEBHOOKS.labels(args.get("gateway", "?"), verdict).inc()
    elif status == 200 and args.get("book_id") and args.get("fmt") and "/export/" in request.path:
        container = current_app.extensions["buko_container"]
        try:
            await container.use_cases.milestones().reached(args["book_id"], "downloaded",
                                                          container.core.clock().now())
        except Exception:
            log.warning("could not record a download", exc_info=True)


def _allowed_networks() -> list:
    allow = current_app.extensions["buko_container"].settings().metrics_allow
    return [ipaddress.ip_network(part.strip(), strict=False) for part in allow.split(",") if part.strip()]


def may_scrape() -> bool:
    """Loopback, the networks in BUKO_METRICS_ALLOW, or an admin's credentials; nobody else."""
    caller = g.get("caller")
    if caller is not None and caller.user.is_admin:
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return address.is_loopback or any(address in network for network in _allowed_networks())


@bp.get("/metrics")
@public
async def prometheus_metrics():
    """Prometheus exposition (loopback, BUKO_METRICS_ALLOW networks or an admin token only)."""
    if not may_scrape():
        raise Forbidden("metrics are for the monitoring network and administrators")
    _sample_sockets(current_app)
    body, content_type = metrics.exposition(await scrape_time_samples())
    return Response(body, status=200, content_type=content_type, headers={"Cache-Control": "no-store"})


async def scrape_time_samples() -> list[metrics.Sample]:
    """Facts of the whole system, read now: books by status, each queue, the model's circuit."""
    container = current_app.extensions["buko_container"]
    books = metrics.Sample("buko_books", "Books by status", ("status",))
    depth = metrics.Sample("buko_queue_depth", "Tasks waiting in a queue (never delivered)", ("queue",))
    pending = metrics.Sample("buko_queue_pending", "Tasks delivered and not acknowledged", ("queue",))
    consumers = metrics.Sample("buko_queue_consumers", "Consumers of a queue", ("queue",))
    workers = metrics.Sample("buko_queue_live_workers", "Workers with a live heartbeat on a queue", ("queue",))
    circuit = metrics.Sample("buko_model_circuit_state", "Circuit breaker: 0 closed, 1 half-open, 2 open",
                             ("model", "circuit"))
    try:
        for status, count in (await container.use_cases.analytics().reader.books_by_status()).items():
            books.values[(status,)] = count
    except Exception:
        log.warning("metrics: could not count books", exc_info=True)
    try:
        for queue in await container.gateways.queue_monitor().status():
            depth.values[(queue.queue,)] = queue.waiting
            pending.values[(queue.queue,)] = queue.pending
            consumers.values[(queue.queue,)] = queue.consumers
            workers.values[(queue.queue,)] = queue.live_workers
    except Exception:
        log.warning("metrics: could not read the queues", exc_info=True)
    try:
        from buko.adapters.observability.model_status import STATES

        for found in await container.use_cases.model_status().circuits():
            circuit.values[(found.model, found.circuit)] = STATES.get(found.state, -1)
    except Exception:
        log.warning("metrics: could not read the circuit breaker", exc_info=True)
    return [books, depth, pending, consumers, workers, circuit]


def _sample_sockets(app: Quart) -> None:
    registry = app.extensions.get("buko_sockets")
    if registry is not None:
        metrics.WEBSOCKETS.set(registry.count)


async def _keep_sampling(app: Quart) -> None:
    while True:
        _sample_sockets(app)
        await asyncio.sleep(SAMPLE_SOCKETS_EVERY)


def install(app: Quart) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)
    app.before_request(audit_before)
    app.after_request(audit_after)
    app.after_request(finish_request)
    app.before_websocket(start_websocket)
    app.register_blueprint(bp)
    sampler: list[asyncio.Task] = []

    @app.before_serving
    async def sample() -> None:
        sampler.append(asyncio.create_task(_keep_sampling(app)))

    @app.after_serving
    async def stop_sampling() -> None:
        for task in sampler:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    atexit.register(metrics.process_exited, os.getpid())
