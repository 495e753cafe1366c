"""Engines for PostgreSQL (asyncpg) and embedded SQLite (aiosqlite), and their sessionmaker."""
from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "buko_read_only"
PING_AFTER_IDLE_SECONDS = 5.0
_IDLE_SINCE = "buko_idle_since"
_DRIVERS = {"postgres": "postgresql+asyncpg", "postgresql": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}


def normalise_url(url: str | URL) -> URL:
    """`postgres://` and `postgresql://` -> asyncpg, `sqlite://` -> aiosqlite; libpq's sslmode -> ssl."""
    url = make_url(url)
    url = url.set(drivername=_DRIVERS.get(url.drivername, url.drivername))
    if url.drivername == "postgresql+asyncpg" and "sslmode" in url.query:
        url = url.difference_update_query(["sslmode"]).update_query_dict({"ssl": url.query["sslmode"]})
    return url


def make_engine(
    url: str | URL,
    pool_size: int = 20,
    max_overflow: int = 30,
    pool_timeout: float = 30.0,
    echo: bool = False,
    sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
) -> AsyncEngine:
    """An async engine for `url`. Pool settings apply to PostgreSQL; SQLite serialises writers."""
    url = normalise_url(url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo, sqlite_busy_timeout_ms)
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        echo=echo,
    )
    ping_when_idle(engine)
    return engine


def ping_when_idle(engine: AsyncEngine, idle_seconds: float | None = None) -> None:
    """SQLAlchemy's pool_pre_ping, but only for a connection that sat in the pool `idle_seconds` or more.

    With asyncpg a ping is three round trips (BEGIN, SELECT 1, ROLLBACK). Pinging on every checkout
    was half of an API request's round trips to PostgreSQL under load (tests/load/README.md), while
    a connection checked in a moment ago is alive. A dead one still fails its ping after a quiet
    spell (a PostgreSQL restart) and is replaced before use."""

    idle_seconds = PING_AFTER_IDLE_SECONDS if idle_seconds is None else idle_seconds

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as lost:  # the pool drops this connection and checks out another
            raise exc.DisconnectionError(f"a pooled connection was dead: {lost}") from lost


def make_sessionmaker(engine: AsyncEngine, read_only: bool = False) -> async_sessionmaker[AsyncSession]:
    """Sessions on `engine`; `read_only` ones never take SQLite's write lock (they must not write)."""
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return async_sessionmaker(bind, expire_on_commit=False)


def _sqlite_engine(url: URL, echo: bool, busy_timeout_ms: int) -> AsyncEngine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    if not in_memory and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": busy_timeout_ms / 1000})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # The driver must not open transactions itself: the "begin" hook below does it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        pragmas = ["foreign_keys=ON", f"busy_timeout={busy_timeout_ms}"]
        if not in_memory:
            pragmas += ["journal_mode=WAL", "synchronous=NORMAL"]
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection) -> None:
        # Take the write lock up front, so a read-then-write never commits on a stale read:
        # a second writer waits here (busy_timeout) until the first commits. Read-only units of
        # work (queries) begin deferred: in WAL mode they read a snapshot beside the writer.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
