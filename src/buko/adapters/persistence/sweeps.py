"""Queries for the sweeper: books in `planning` or `writing` that nobody seems to be working on."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from buko.adapters.persistence.tables import books, chunks


async def stalled_chunks(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, quiet_since: datetime
) -> list[tuple[str, int]]:
    """(book_id, index) of chunks that should have a task: being written with an expired lease,
    or queued in a book that has not changed since `quiet_since`."""
    expired = sa.or_(chunks.c.lease_until.is_(None), chunks.c.lease_until < now)
    lease_expired = sa.and_(chunks.c.status == "writing", expired)
    queued_long_ago = sa.and_(chunks.c.status == "queued", books.c.updated_at < quiet_since)
    query = (
        sa.select(chunks.c.book_id, chunks.c["index"])
        .join(books, books.c.id == chunks.c.book_id)
        .where(books.c.status == "writing", sa.or_(lease_expired, queued_long_ago))
        .order_by(chunks.c.book_id, chunks.c["index"])
    )
    async with sessionmaker() as session:
        return [(row.book_id, row.index) for row in await session.execute(query)]


async def stalled_planning(
    sessionmaker: async_sessionmaker[AsyncSession], quiet_since: datetime
) -> list[tuple[str, str]]:
    """(book_id, revision notes) of books in `planning` that have not changed since `quiet_since`."""
    query = (
        sa.select(books.c.id, books.c.revision_notes)
        .where(books.c.status == "planning", books.c.updated_at < quiet_since)
        .order_by(books.c.id)
    )
    async with sessionmaker() as session:
        return [(row.id, row.revision_notes) for row in await session.execute(query)]
