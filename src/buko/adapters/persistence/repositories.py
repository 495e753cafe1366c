"""Repositories over an AsyncSession: explicit SQL, explicit row <-> domain mapping."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from buko.adapters.persistence.tables import (
    api_tokens,
    book_from_rows,
    book_row,
    books,
    chunk_row,
    chunks,
    subscription_from_row,
    subscription_row,
    session_from_row,
    session_row,
    sessions,
    subscriptions,
    token_from_row,
    token_row,
    user_from_row,
    user_row,
    users,
)
from buko.application.ports import (
    ApiTokenRepository,
    BookRepository,
    BookSummary,
    DuplicateKey,
    SessionRepository,
    SubscriptionRepository,
    UserRepository,
)
from buko.domain.accounts.credentials import ApiToken, Session
from buko.domain.accounts.user import User
from buko.domain.billing.plans import Subscription
from buko.domain.books.book import Book

CHUNK_INDEX = chunks.c["index"]


class ConcurrentUpdate(Exception):
    """The book changed in the database after this transaction loaded it; nothing was saved.

    Load it again (with `for_update=True` to serialise) and retry the change.
    """

    def __init__(self, book_id: str, version: int):
        self.book_id, self.version = book_id, version
        super().__init__(f"book {book_id} was changed by someone else since version {version} was loaded")


@dataclass
class _Snapshot:
    """What the database holds for a book as far as this session knows."""

    version: int
    row: dict
    chunks: list[dict]

    @property
    def plan(self) -> list[tuple]:
        return [(c["index"], c["chapter_number"], c["parts"]) for c in self.chunks]


def _snapshot(book: Book, version: int) -> _Snapshot:
    return _Snapshot(version, book_row(book), [chunk_row(book.id, c) for c in book.chunks])


class SqlAlchemyBookRepository(BookRepository):
    """Books and their chunks. `save` writes what changed since load, guarded by the row's version."""

    def __init__(self, session: AsyncSession):
        super().__init__()
        self.session = session
        self._known: dict[str, tuple[Book, _Snapshot]] = {}
        self._locked: set[str] = set()

    async def _add(self, book: Book) -> None:
        if book.id in self._known:
            raise ValueError(f"book {book.id} is already in this unit of work")
        new = _snapshot(book, 1)
        await self.session.execute(sa.insert(books).values(**new.row, updated_at=_now(), version=new.version))
        if new.chunks:
            await self.session.execute(sa.insert(chunks), new.chunks)
        self._known[book.id] = (book, new)

    async def _get(self, book_id: str, for_update: bool) -> Book | None:
        known = self._known.get(book_id)
        if known and (not for_update or book_id in self._locked):
            return known[0]
        query = sa.select(books).where(books.c.id == book_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().one_or_none()
        if row is None:
            return None
        if for_update:
            self._locked.add(book_id)
        if known:
            if row["version"] != known[1].version:
                raise ConcurrentUpdate(book_id, known[1].version)
            return known[0]
        chunk_rows = await self.session.execute(
            sa.select(chunks).where(chunks.c.book_id == book_id).order_by(CHUNK_INDEX)
        )
        book = book_from_rows(row, chunk_rows.mappings())
        self._known[book_id] = (book, _snapshot(book, row["version"]))
        return book

    async def outline(self, book_id: str) -> Book | None:
        """Without the chunks' texts and summaries (a written 100,000-word book is ~600 KB of them): what
        a book page, a socket's snapshot and a usage update show. Not kept in `_known`: never saved."""
        row = (await self.session.execute(sa.select(books).where(books.c.id == book_id))).mappings().one_or_none()
        if row is None:
            return None
        shown = [column for column in chunks.c if column.name not in ("text", "summary")]
        chunk_rows = await self.session.execute(
            sa.select(*shown).where(chunks.c.book_id == book_id).order_by(CHUNK_INDEX)
        )
        return book_from_rows(row, ({**c, "text": "", "summary": ""} for c in chunk_rows.mappings()))

    async def save(self, book: Book) -> None:
        """Write the book's changes; raise ConcurrentUpdate if its row moved on since it was loaded."""
        known = self._known.get(book.id)
        if known is None or known[0] is not book:
            raise ValueError(f"book {book.id} was not loaded or added in this unit of work")
        old, new = known[1], _snapshot(book, known[1].version + 1)
        if new.row == old.row and new.chunks == old.chunks:
            return
        changed = await self.session.execute(
            sa.update(books)
            .where(books.c.id == book.id, books.c.version == old.version)
            .values(**{k: v for k, v in new.row.items() if k != "id"}, updated_at=_now(), version=new.version)
        )
        if changed.rowcount != 1:
            raise ConcurrentUpdate(book.id, old.version)
        if new.plan != old.plan:
            await self.session.execute(sa.delete(chunks).where(chunks.c.book_id == book.id))
            if new.chunks:
                await self.session.execute(sa.insert(chunks), new.chunks)
        else:
            for row, before in zip(new.chunks, old.chunks):
                if row != before:
                    await self.session.execute(
                        sa.update(chunks)
                        .where(chunks.c.book_id == book.id, CHUNK_INDEX == row["index"])
                        .values(**{k: v for k, v in row.items() if k not in ("book_id", "index")})
                    )
        self._known[book.id] = (book, new)

    async def list_for_owner(self, owner_id: str) -> list[Book]:
        """The owner's books, newest first (not tracked: changes to them are not saved)."""
        rows = await self.session.execute(
            sa.select(books).where(books.c.owner_id == owner_id).order_by(books.c.created_at.desc(), books.c.id)
        )
        chunk_rows = await self.session.execute(
            sa.select(chunks)
            .join(books, books.c.id == chunks.c.book_id)
            .where(books.c.owner_id == owner_id)
            .order_by(chunks.c.book_id, CHUNK_INDEX)
        )
        by_book: dict[str, list] = {}
        for chunk in chunk_rows.mappings():
            by_book.setdefault(chunk["book_id"], []).append(chunk)
        return [book_from_rows(row, by_book.get(row["id"], ())) for row in rows.mappings()]

    async def count_created_since(self, owner_id: str, since: datetime) -> int:
        query = sa.select(sa.func.count()).select_from(books).where(
            books.c.owner_id == owner_id, books.c.created_at >= since
        )
        return (await self.session.execute(query)).scalar_one()

    async def owner_of(self, book_id: str) -> str | None:
        query = sa.select(books.c.owner_id).where(books.c.id == book_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def summaries(self, *, owner_id: str | None = None, status: str | None = None,
                        offset: int = 0, limit: int = 20) -> tuple[list[BookSummary], int]:
        conditions = []
        if owner_id is not None:
            conditions.append(books.c.owner_id == owner_id)
        if status is not None:
            conditions.append(books.c.status == status)
        total = (await self.session.execute(
            sa.select(sa.func.count()).select_from(books).where(*conditions)
        )).scalar_one()
        query = (
            sa.select(*SUMMARY_COLUMNS).where(*conditions)
            .order_by(books.c.created_at.desc(), books.c.id).offset(offset).limit(limit)
        )
        rows = (await self.session.execute(query)).mappings().all()
        # Only this page's chunks are counted (never a scan of every book's chunks).
        totals = {row["book_id"]: row for row in (await self.session.execute(
            CHUNK_TOTALS, {"ids": [row["id"] for row in rows]})).mappings()} if rows else {}
        return [_summary(row, totals.get(row["id"], {})) for row in rows], total

    async def delete(self, book_id: str) -> None:
        await self.session.execute(sa.delete(chunks).where(chunks.c.book_id == book_id))
        await self.session.execute(sa.delete(books).where(books.c.id == book_id))
        self._known.pop(book_id, None)
        self.seen = {b for b in self.seen if b.id != book_id}


class SqlAlchemyUserRepository(UserRepository):
    """Users; emails are unique (the database enforces it at commit)."""

    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, user: User) -> None:
        try:
            await self.session.execute(sa.insert(users).values(**user_row(user)))
        except sa.exc.IntegrityError as taken:
            raise DuplicateKey(f"{user.email} is already registered") from taken

    async def get(self, user_id: str) -> User | None:
        return await self._one(users.c.id == user_id)

    async def get_by_email(self, email: str) -> User | None:
        return await self._one(users.c.email == email.strip().lower())

    async def _one(self, condition) -> User | None:
        row = (await self.session.execute(sa.select(users).where(condition))).mappings().one_or_none()
        return user_from_row(row) if row else None

    async def save(self, user: User) -> None:
        values = {k: v for k, v in user_row(user).items() if k not in ("id", "created_at")}
        try:
            await self.session.execute(sa.update(users).where(users.c.id == user.id).values(**values))
        except sa.exc.IntegrityError as taken:
            raise DuplicateKey(f"{user.email} is already registered") from taken

    async def search(self, text: str = "", offset: int = 0, limit: int = 20) -> tuple[list[User], int]:
        conditions = []
        if text.strip():
            pattern = "%" + text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conditions.append(sa.or_(users.c.email.like(pattern, escape="\\"),
                                     sa.func.lower(users.c.name).like(pattern, escape="\\")))
        total = (await self.session.execute(sa.select(sa.func.count()).select_from(users).where(*conditions))).scalar_one()
        rows = await self.session.execute(
            sa.select(users).where(*conditions).order_by(users.c.created_at.desc(), users.c.id).offset(offset).limit(limit)
        )
        return [user_from_row(row) for row in rows.mappings()], total


class SqlAlchemySessionRepository(SessionRepository):
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, login: Session) -> None:
        await self.session.execute(sa.insert(sessions).values(**session_row(login)))

    async def get(self, secret_hash: str) -> Session | None:
        query = sa.select(sessions).where(sessions.c.secret_hash == secret_hash)
        row = (await self.session.execute(query)).mappings().one_or_none()
        return session_from_row(row) if row else None

    async def remove(self, secret_hash: str) -> None:
        await self.session.execute(sa.delete(sessions).where(sessions.c.secret_hash == secret_hash))

    async def remove_all_for(self, user_id: str) -> None:
        await self.session.execute(sa.delete(sessions).where(sessions.c.user_id == user_id))


class SqlAlchemyApiTokenRepository(ApiTokenRepository):
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, token: ApiToken) -> None:
        await self.session.execute(sa.insert(api_tokens).values(**token_row(token)))

    async def by_secret(self, secret_hash: str) -> ApiToken | None:
        query = sa.select(api_tokens).where(api_tokens.c.secret_hash == secret_hash)
        row = (await self.session.execute(query)).mappings().one_or_none()
        return token_from_row(row) if row else None

    async def list_for(self, user_id: str) -> list[ApiToken]:
        query = sa.select(api_tokens).where(api_tokens.c.user_id == user_id).order_by(api_tokens.c.created_at.desc())
        return [token_from_row(row) for row in (await self.session.execute(query)).mappings()]

    async def save(self, token: ApiToken) -> None:
        values = {k: v for k, v in token_row(token).items() if k != "id"}
        await self.session.execute(sa.update(api_tokens).where(api_tokens.c.id == token.id).values(**values))


# SqlAlchemySubscriptionRepository lives in billing_repositories.py (with the other billing stores).


def _now() -> datetime:
    return datetime.now(UTC)


SUMMARY_COLUMNS = (books.c.id, books.c.owner_id, books.c.status, books.c.brief, books.c.architecture, books.c.demo,
                   books.c.failure, books.c.created_at, books.c.updated_at, books.c.planning_usage)
_DONE = chunks.c.status == "done"
CHUNK_TOTALS = (
    sa.select(
        chunks.c.book_id,
        sa.func.sum(sa.case((_DONE, chunks.c.actual_words), else_=0)).label("words"),
        sa.func.sum(sa.case((_DONE, 1), else_=0)).label("done"),
        sa.func.count().label("total"),
        sa.func.sum(chunks.c.usage["cost_usd"].as_float()).label("cost"),
    )
    .where(chunks.c.book_id.in_(sa.bindparam("ids", expanding=True)))
    .group_by(chunks.c.book_id)
)


def _summary(row, totals) -> BookSummary:
    architecture, brief = row["architecture"], row["brief"]
    if architecture:
        title = architecture.get("title", "")
        target = sum(int(s.get("words", 0)) for c in architecture.get("chapters", ()) for s in c.get("sections", ()))
    else:
        title, target = brief.get("idea", "")[:80], int(brief.get("target_words", 0))
    return BookSummary(
        id=row["id"], owner_id=row["owner_id"], title=title, status=row["status"],
        language=brief.get("language", "en"), words_written=int(totals.get("words") or 0), target_words=target,
        chunks_done=int(totals.get("done") or 0), chunks_total=int(totals.get("total") or 0),
        cost_usd=round(float(totals.get("cost") or 0) + float((row["planning_usage"] or {}).get("cost_usd", 0)), 6),
        demo=row["demo"], failure=row["failure"], created_at=row["created_at"], updated_at=row["updated_at"],
    )
