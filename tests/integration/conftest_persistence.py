"""Fixtures for the persistence tests: a migrated SQLite file and a fresh PostgreSQL database.

PostgreSQL is never skipped: when it cannot be reached the tests error (CI requires it).
Set BUKO_TEST_PG_URL to point at another server's maintenance database.
"""
from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from buko.adapters.persistence.engine import make_engine, make_sessionmaker
from buko.adapters.persistence.migrate import upgrade
from buko.adapters.persistence.uow import SqlAlchemyUnitOfWork
from buko.domain.accounts.user import Role, User
from buko.domain.books.architecture import Architecture
from buko.domain.books.book import Book
from buko.domain.books.brief import Brief
from buko.domain.books.usage import Usage

PG_BASE_URL = os.environ.get("BUKO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _libpq(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgresql_url():
    """A database created for this test session from nothing, dropped at the end."""
    base = make_url(PG_BASE_URL)
    name = f"buko_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(_libpq(base), timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = _libpq(base.set(database=name))
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('persistence') / 'data' / 'buko.db'}"
    asyncio.run(_migrate(url))
    return url


@pytest.fixture(params=BACKENDS, scope="session")
def database_url(request):
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
async def engine(database_url):
    engine = make_engine(database_url, pool_size=5, max_overflow=5)
    yield engine
    await engine.dispose()


@pytest.fixture
def uow_factory(engine):
    sessionmaker = make_sessionmaker(engine)
    return lambda: SqlAlchemyUnitOfWork(sessionmaker)


# -- building domain objects with the domain's own methods -------------------------
NOW = datetime(2025, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)
ARCHITECTURE = {
    "title": "Bees on the Balcony",
    "subtitle": "Urban beekeeping in small spaces",
    "synopsis": "How to keep a healthy hive where there is barely room for a chair.",
    "audience": "city dwellers",
    "tone": "warm",
    "language": "en",
    "style_guide": "Short paragraphs.",
    "bible": {"characters": ["Ana"], "key_terms": ["brood", "super"], "facts": ["A hive weighs 40 kg."]},
    "chapters": [
        {"number": 1, "title": "Why Bees in the City", "summary": "The case for it.",
         "sections": [{"title": "Forage Everywhere", "summary": "Parks.", "words": 500},
                      {"title": "Neighbours and Law", "summary": "Rules.", "words": 500}]},
        {"number": 2, "title": "Your First Hive", "summary": "Getting started.",
         "sections": [{"title": "Choosing a Hive", "summary": "Kinds of hive.", "words": 1000}]},
    ],
}
PLANNING_USAGE = Usage(input_tokens=1234, output_tokens=5678, thinking_tokens=9, cache_read_tokens=10,
                       cache_write_tokens=11, cost_usd=0.1 + 0.2, calls=1)


def new_user(email: str | None = None) -> User:
    uid = uuid.uuid4().hex
    return User(id=uid, email=email or f"{uid}@example.com", name="Ana", role=Role.AUTHOR, created_at=NOW)


async def add_user(uow_factory, email: str | None = None) -> User:
    user = new_user(email)
    async with uow_factory() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user


def draft(owner_id: str, created_at: datetime = NOW) -> Book:
    brief = Brief(idea="A practical guide to urban beekeeping", target_words=2000, chapter_count=2)
    return Book(id=uuid.uuid4().hex, owner_id=owner_id, brief=brief, created_at=created_at)


def planned(owner_id: str) -> Book:
    book = draft(owner_id)
    book.request_plan()
    book.architecture_ready(Architecture.from_dict(ARCHITECTURE), PLANNING_USAGE, "demo", True)
    return book


def writing(owner_id: str, ceiling: int = 600, lanes: int = 2) -> Book:
    book = planned(owner_id)
    book.approve(ceiling)
    book.start_writing(lanes)
    return book


LEASE = timedelta(minutes=15)
