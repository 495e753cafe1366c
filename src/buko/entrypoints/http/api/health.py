"""Liveness and readiness."""
from __future__ import annotations

import asyncio

import sqlalchemy as sa
from quart import Blueprint, current_app
from quart_schema import validate_response

from buko.entrypoints.http import schemas as s
from buko.entrypoints.http.auth import public

bp = Blueprint("health", __name__)
CHECK_TIMEOUT = 3.0


@bp.get("/healthz")
@public
@validate_response(s.HealthOut)
async def healthz():
    """The process answers."""
    return s.HealthOut(status="ok")


@bp.get("/readyz")
@public
@validate_response(s.HealthOut, 200)
@validate_response(s.HealthOut, 503)
async def readyz():
    """Database, queues and live events reachable; 503 names the part that is not."""
    container = current_app.extensions["buko_container"]
    checks = {
        "database": _database(container.core.engine()),
        "queues": _redis(container.gateways.redis(), "in-process"),
        "live_events": _redis(container.gateways.redis(), "in-process"),
    }
    results = {}
    for name, check in checks.items():
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                results[name] = await check
        except Exception as failed:
            results[name] = f"failing: {type(failed).__name__}: {failed}"[:300]
    ok = all(not r.startswith("failing") for r in results.values())
    return s.HealthOut(status="ready" if ok else "not_ready", checks=results), 200 if ok else 503


async def _database(engine) -> str:
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))
    return "ok"


async def _redis(redis, embedded: str) -> str:
    if redis is None:
        return f"ok ({embedded})"
    await redis.ping()
    return "ok"
