"""The SQLAlchemy persistence adapter: the same tests on SQLite (embedded) and PostgreSQL."""
from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event

from buko.adapters.persistence.engine import make_engine, normalise_url
from buko.adapters.persistence.migrate import current, head, upgrade
from buko.adapters.persistence.repositories import ConcurrentUpdate
from buko.adapters.persistence.tables import books, metadata
from buko.application.ports import DuplicateKey
from buko.domain.billing.plans import Subscription, SubscriptionStatus
from buko.domain.books import events
from buko.domain.books.book import BookStatus
from buko.domain.books.architecture import Architecture
from buko.domain.books.chunks import ChunkStatus, plan_chunks
from buko.domain.books.usage import Usage, total
from tests.integration.conftest_persistence import (  # noqa: F401  (fixtures)
    ARCHITECTURE,
    LEASE,
    NOW,
    PLANNING_USAGE,
    add_user,
    database_url,
    draft,
    engine,
    new_user,
    planned,
    postgresql_url,
    sqlite_url,
    uow_factory,
    writing,
)

CHUNK_USAGE = Usage(input_tokens=3000, output_tokens=700, thinking_tokens=0, cache_read_tokens=2500,
                    cache_write_tokens=400, cost_usd=0.013_370_000_000_000_001, calls=2)


def state(book) -> dict:
    return {k: v for k, v in vars(book).items() if k != "events"}


async def stored(uow_factory, book_id):
    async with uow_factory() as uow:
        return await uow.books.get(book_id)


async def save(uow_factory, book) -> None:
    async with uow_factory() as uow:
        await uow.books.add(book)
        await uow.commit()


def statements(engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: seen.append(a[2].split()[0:3]))
    return seen


# -- migrations ------------------------------------------------------------------
async def test_migrated_from_empty_to_head_and_schema_matches_tables(engine):
    assert await current(engine) == head() and head() is not None
    await upgrade(engine)  # a second run is a no-op
    async with engine.connect() as conn:
        diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
    assert diff == []


async def test_current_is_none_on_an_empty_sqlite_database(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'empty.db'}")
    try:
        assert await current(engine) is None
        assert (tmp_path / "deep" / "dir").is_dir()
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql://u@h/db?sslmode=require", "postgresql+asyncpg://u@h/db?ssl=require"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:////var/lib/buko/buko.db", "sqlite+aiosqlite:////var/lib/buko/buko.db"),
        ("sqlite+aiosqlite:///buko.db", "sqlite+aiosqlite:///buko.db"),
    ],
)
def test_urls_are_normalised_to_async_drivers(given, expected):
    assert normalise_url(given).render_as_string(hide_password=False) == expected


# -- books through their life ----------------------------------------------------
async def test_book_round_trips_through_every_state(uow_factory):
    owner = await add_user(uow_factory)
    book = draft(owner.id, created_at=datetime(2025, 3, 14, 11, 0, tzinfo=timezone(timedelta(hours=2))))
    await save(uow_factory, book)
    loaded = await stored(uow_factory, book.id)
    assert state(loaded) == state(book)
    assert loaded.created_at.utcoffset() == timedelta(0) and loaded.created_at.hour == 9

    steps = [
        lambda b: b.request_plan(),
        lambda b: b.architecture_ready(Architecture.from_dict(ARCHITECTURE), PLANNING_USAGE, "demo", True),
        lambda b: b.approve(600),
        lambda b: b.start_writing(2),
        lambda b: b.claim_chunk(0, "worker-a", NOW, LEASE),
        lambda b: b.complete_chunk(0, "Bees " * 480, CHUNK_USAGE, summary="Bees came."),
        lambda b: [b.claim_chunk(i, "worker-b", NOW, LEASE) for i in (1, 2)],
        lambda b: [b.complete_chunk(i, "Hives " * 500, CHUNK_USAGE) for i in (1, 2, 3)],
    ]
    for step in steps:
        async with uow_factory() as uow:
            live = await uow.books.get(book.id, for_update=True)
            step(live)
            await uow.commit()
        again = await stored(uow_factory, book.id)
        assert state(again) == state(live)

    assert again.status is BookStatus.WRITTEN and len(again.chunks) == 4
    assert again.chunks[1].parts == live.chunks[1].parts and again.chunks[2].parts[0].parts == 2
    assert again.usage == live.usage == PLANNING_USAGE + total([CHUNK_USAGE] * 4)
    assert again.summary_before(4) == "Bees came." and again.words_written == 480 + 1500


async def test_claimed_chunk_keeps_its_lease(uow_factory):
    owner = await add_user(uow_factory)
    book = writing(owner.id)
    book.claim_chunk(2, "host:1:abc", NOW, LEASE)
    await save(uow_factory, book)
    chunk = (await stored(uow_factory, book.id)).chunks[2]
    assert (chunk.status, chunk.lease_owner, chunk.attempts) == (ChunkStatus.WRITING, "host:1:abc", 1)
    assert chunk.lease_until == NOW + LEASE and chunk.lease_until.tzinfo is not None


async def test_a_chunk_keeps_the_workers_it_lost(uow_factory):
    owner = await add_user(uow_factory)
    book = writing(owner.id)
    book.claim_chunk(2, "host:1:dead", NOW, LEASE)
    await save(uow_factory, book)
    later = NOW + timedelta(seconds=20)
    async with uow_factory() as uow:
        loaded = await uow.books.get(book.id, for_update=True)
        assert loaded.claim_chunk(2, "host:2:new", later, LEASE, gone="host:1:dead")
        await uow.commit()
    chunk = (await stored(uow_factory, book.id)).chunks[2]
    assert chunk.lost_workers == (("host:1:dead", later),) and chunk.lease_owner == "host:2:new"


async def test_save_writes_only_what_changed(uow_factory, engine):
    owner = await add_user(uow_factory)
    book = writing(owner.id)
    await save(uow_factory, book)
    sql = statements(engine)

    async with uow_factory() as uow:
        await uow.books.get(book.id)
        await uow.commit()
    assert not [s for s in sql if s[0] in ("UPDATE", "INSERT", "DELETE")]

    sql.clear()
    async with uow_factory() as uow:
        (await uow.books.get(book.id)).complete_chunk(0, "text " * 400, CHUNK_USAGE)
        await uow.commit()
    writes = [" ".join(s) for s in sql if s[0] in ("UPDATE", "INSERT", "DELETE")]
    # chunk 0 done and chunk 1 queued next in its lane: two chunk rows, one book row
    assert sorted(w.split()[1] for w in writes) == ["books", "chunks", "chunks"]


async def test_new_chunk_plan_replaces_the_chunk_rows(uow_factory):
    owner = await add_user(uow_factory)
    book = planned(owner.id)
    await save(uow_factory, book)
    async with uow_factory() as uow:
        (await uow.books.get(book.id)).approve(600)
        await uow.commit()
    assert len((await stored(uow_factory, book.id)).chunks) == 4

    async with uow_factory() as uow:  # a different plan for the same book, whatever the domain path to it
        live = await uow.books.get(book.id)
        live.chunks = plan_chunks(live.architecture, 2500)
        await uow.commit()
    assert [c.index for c in (await stored(uow_factory, book.id)).chunks] == [0, 1]


async def test_list_for_owner_and_count_created_since(uow_factory):
    owner, other = await add_user(uow_factory), await add_user(uow_factory)
    days = [draft(owner.id, created_at=NOW - timedelta(days=d)) for d in (40, 10, 0)]
    days[1] = writing(owner.id)
    days[1].created_at = NOW - timedelta(days=10)
    for book in [*days, draft(other.id)]:
        await save(uow_factory, book)

    async with uow_factory() as uow:
        listed = await uow.books.list_for_owner(owner.id)
        assert [b.id for b in listed] == [b.id for b in reversed(days)]
        assert [state(b) for b in listed] == [state(b) for b in reversed(days)]
        assert await uow.books.count_created_since(owner.id, NOW - timedelta(days=30)) == 2
        assert await uow.books.count_created_since(owner.id, NOW - timedelta(days=10)) == 2
        assert await uow.books.count_created_since(owner.id, NOW) == 1
        assert await uow.books.count_created_since(owner.id, NOW + timedelta(microseconds=1)) == 0
        assert await uow.books.list_for_owner("nobody") == []


# -- accounts and billing ----------------------------------------------------------
async def test_users_by_id_and_email_which_is_unique(uow_factory):
    user = new_user(f"Ana.{uuid.uuid4().hex}@Example.COM")
    assert user.email == user.email.lower()
    async with uow_factory() as uow:
        await uow.users.add(user)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.users.get_by_email(user.email.upper()) == user
        assert await uow.users.get(user.id) == user
        assert await uow.users.get_by_email("nobody@example.com") is None
    with pytest.raises(DuplicateKey):
        async with uow_factory() as uow:
            await uow.users.add(new_user(user.email))
            await uow.commit()


async def test_subscription_is_saved_and_replaced(uow_factory):
    user = await add_user(uow_factory)
    async with uow_factory() as uow:
        assert await uow.subscriptions.get_for_user(user.id) is None
        await uow.subscriptions.save(Subscription(user.id, "author", SubscriptionStatus.ACTIVE, NOW))
        await uow.commit()
    later = Subscription(user.id, "pro", SubscriptionStatus.CANCELLED, NOW + timedelta(days=3))
    async with uow_factory() as uow:
        await uow.subscriptions.save(later)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.subscriptions.get_for_user(user.id) == later


# -- the unit of work ------------------------------------------------------------------
async def test_leaving_without_commit_rolls_back(uow_factory):
    owner = await add_user(uow_factory)
    kept = planned(owner.id)
    await save(uow_factory, kept)
    lost = draft(owner.id)
    async with uow_factory() as uow:
        await uow.books.add(lost)
        (await uow.books.get(kept.id)).approve(600)
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            await uow.users.add(new_user())
            (await uow.books.get(kept.id)).approve(600)
            raise RuntimeError("boom")
    assert await stored(uow_factory, lost.id) is None
    assert (await stored(uow_factory, kept.id)).status is BookStatus.PLANNED


async def test_events_are_collected_after_commit(uow_factory):
    owner = await add_user(uow_factory)
    book = draft(owner.id)
    async with uow_factory() as uow:
        book.request_plan()
        await uow.books.add(book)
        await uow.commit()
    assert list(uow.collect_new_events()) == [events.PlanningRequested(book.id)]
    assert list(uow.collect_new_events()) == []


async def test_a_second_get_in_one_unit_of_work_returns_the_same_book(uow_factory):
    owner = await add_user(uow_factory)
    book = planned(owner.id)
    await save(uow_factory, book)
    async with uow_factory() as uow:
        first = await uow.books.get(book.id)
        assert await uow.books.get(book.id, for_update=True) is first


async def test_a_stale_save_raises_concurrent_update(uow_factory):
    owner = await add_user(uow_factory)
    book = planned(owner.id)
    await save(uow_factory, book)
    with pytest.raises(ConcurrentUpdate):
        async with uow_factory() as uow:
            live = await uow.books.get(book.id)
            # Someone else's committed write, as seen from this transaction.
            await uow.session.execute(sa.update(books).where(books.c.id == book.id).values(version=books.c.version + 1))
            live.approve(600)
            await uow.commit()
    assert (await stored(uow_factory, book.id)).status is BookStatus.PLANNED


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgres_unlocked_concurrent_writers_the_second_gets_concurrent_update(uow_factory):
    owner = await add_user(uow_factory)
    book = writing(owner.id, ceiling=2500)
    await save(uow_factory, book)
    async with uow_factory() as first, uow_factory() as second:
        a, b = await first.books.get(book.id), await second.books.get(book.id)
        a.complete_chunk(0, "one " * 900, CHUNK_USAGE)
        await first.commit()
        b.complete_chunk(1, "two " * 900, CHUNK_USAGE)
        with pytest.raises(ConcurrentUpdate):
            await second.commit()
    assert [c.status for c in (await stored(uow_factory, book.id)).chunks] == [ChunkStatus.DONE, ChunkStatus.QUEUED]


async def test_two_lanes_completing_chunks_at_once_serialise_and_both_land(uow_factory):
    owner = await add_user(uow_factory)
    book = writing(owner.id, ceiling=2500, lanes=2)
    assert [c.status for c in book.chunks] == [ChunkStatus.QUEUED, ChunkStatus.QUEUED]
    await save(uow_factory, book)
    order: list[tuple[str, int]] = []
    first_holds_lock = asyncio.Event()

    async def lane(index: int) -> None:
        if index == 1:
            await first_holds_lock.wait()
        async with uow_factory() as uow:
            live = await uow.books.get(book.id, for_update=True)
            order.append(("loaded", index))
            if index == 0:
                first_holds_lock.set()
                await asyncio.sleep(0.5)  # the other lane must wait for this commit, not read past it
            live.complete_chunk(index, f"lane {index} " * 450, CHUNK_USAGE)
            await uow.commit()
            order.append(("committed", index))

    await asyncio.wait_for(asyncio.gather(lane(0), lane(1)), timeout=30)
    assert order == [("loaded", 0), ("committed", 0), ("loaded", 1), ("committed", 1)]
    final = await stored(uow_factory, book.id)
    assert [c.status for c in final.chunks] == [ChunkStatus.DONE, ChunkStatus.DONE]
    assert final.status is BookStatus.WRITTEN and final.usage == PLANNING_USAGE + total([CHUNK_USAGE] * 2)


async def test_an_outline_is_the_book_without_chunk_texts_and_is_never_saved(uow_factory):
    owner = await add_user(uow_factory)
    book = writing(owner.id)
    book.claim_chunk(0, "worker-a", NOW, LEASE)
    book.complete_chunk(0, "Bees " * 480, CHUNK_USAGE, summary="Bees came.")
    await save(uow_factory, book)
    full = await stored(uow_factory, book.id)
    async with uow_factory() as uow:
        outline = await uow.books.outline(book.id)
        assert await uow.books.outline("no-such-book") is None
        outline.chunks[1].text = "changed in an outline"
        await uow.commit()  # an outline is not tracked: nothing of it is written
    assert [c.text for c in outline.chunks[:1]] == [""] and outline.chunks[0].summary == ""
    shown = {k: v for k, v in state(outline).items() if k != "chunks"}
    assert shown == {k: v for k, v in state(full).items() if k != "chunks"}
    strip = lambda c: {k: v for k, v in vars(c).items() if k not in ("text", "summary")}  # noqa: E731
    assert [strip(c) for c in outline.chunks] == [strip(c) for c in full.chunks]
    assert outline.words_written == full.words_written == 480 and outline.usage == full.usage
    assert state(await stored(uow_factory, book.id)) == state(full)
