"""Queries for the sweeper: work in books being planned or written that may have lost its task."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from buko.adapters.persistence.tables import books, chunks


@dataclass(frozen=True)
class OpenChunk:
    """A chunk of a book in `writing` that should have a task: queued, or being written."""

    book_id: str
    index: int
    status: str
    lease_owner: str
    lease_until: datetime | None


async def open_chunks(sessionmaker: async_sessionmaker[AsyncSession]) -> list[OpenChunk]:
    """Every queued or being-written chunk of the books in `writing` (a few per book: one per lane)."""
    query = (
        sa.select(chunks.c.book_id, chunks.c["index"], chunks.c.status, chunks.c.lease_owner, chunks.c.lease_until)
        .join(books, books.c.id == chunks.c.book_id)
        .where(books.c.status == "writing", chunks.c.status.in_(("queued", "writing")))
        .order_by(chunks.c.book_id, chunks.c["index"])
    )
    async with sessionmaker() as session:
        return [OpenChunk(r.book_id, r.index, r.status, r.lease_owner, r.lease_until)
                for r in await session.execute(query)]


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
