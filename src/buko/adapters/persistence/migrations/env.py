"""Alembic environment. Buko runs it through migrate.py with a shared connection;
the `alembic` command works too, given `-x url=...` or DATABASE_URL."""
from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from buko.adapters.persistence.engine import make_engine, normalise_url
from buko.adapters.persistence.tables import metadata

config = context.config


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def url() -> str:
    found = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get("DATABASE_URL")
    if not found:
        raise RuntimeError("give the database: alembic -x url=... or DATABASE_URL")
    return found


async def run_on_own_engine() -> None:
    engine = make_engine(url())
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    target = normalise_url(url())
    context.configure(url=target, target_metadata=metadata, literal_binds=True,
                      render_as_batch=target.get_backend_name() == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
elif config.attributes.get("connection") is not None:
    run_migrations(config.attributes["connection"])
else:
    asyncio.run(run_on_own_engine())
