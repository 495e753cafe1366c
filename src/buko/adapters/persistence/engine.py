"""Engines for PostgreSQL (asyncpg) and embedded SQLite (aiosqlite), and their sessionmaker."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "buko_read_only"
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
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_pre_ping=True,
        echo=echo,
    )


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
