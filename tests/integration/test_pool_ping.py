"""PostgreSQL pool: a connection idle long enough is pinged (a dead one is replaced before use); one
checked in a moment ago is used as it is, without the three round trips of a ping."""
from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text

from buko.adapters.persistence import engine as engine_module
from buko.adapters.persistence.engine import make_engine
from tests.integration.conftest_persistence import postgresql_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.postgres


async def _backend_pids(engine) -> list[int]:
    async with engine.connect() as conn:
        return [(await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()]


async def _sent_on_second_use(engine) -> list[str]:
    """Simple-protocol statements (BEGIN, ROLLBACK: a ping is a transaction of its own) the driver sent
    for a checkout + query on the pool's only connection, right after it was checked in."""
    seen: list[str] = []
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        raw.add_query_logger(lambda record: seen.append(record.query.strip()))
    seen.clear()
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT 41 + 1"))).scalar_one() == 42
    return seen


async def test_a_connection_used_a_moment_ago_is_not_pinged(postgresql_url):  # noqa: F811
    engine = make_engine(postgresql_url, pool_size=1, max_overflow=0)
    try:
        sent = await _sent_on_second_use(engine)
        assert sent.count("BEGIN;") == 1, sent  # the query's own transaction, no ping's
    finally:
        await engine.dispose()


async def test_a_connection_idle_for_a_while_is_pinged(postgresql_url, monkeypatch):  # noqa: F811
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine = make_engine(postgresql_url, pool_size=1, max_overflow=0)
    try:
        sent = await _sent_on_second_use(engine)
        assert sent.count("BEGIN;") == 2, sent  # the ping's transaction (BEGIN, SELECT 1, ROLLBACK), then the query's
    finally:
        await engine.dispose()


async def test_a_dead_idle_connection_is_replaced_before_use(postgresql_url, monkeypatch):  # noqa: F811
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)  # every checkout counts as after a quiet spell
    engine = make_engine(postgresql_url, pool_size=1, max_overflow=0)
    try:
        [dead] = await _backend_pids(engine)
        admin = await asyncpg.connect(postgresql_url)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", dead)
        finally:
            await admin.close()
        [fresh] = await _backend_pids(engine)  # no error: the ping found it dead and the pool reconnected
        assert fresh != dead
    finally:
        await engine.dispose()
