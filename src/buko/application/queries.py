"""Read-only questions the entry points ask; no transaction is committed.

Book questions asked for a user go through `owned_book`/`require_book`: someone else's book is
NotFound exactly like a book that does not exist, so no caller can forget the check.
"""
from __future__ import annotations

from collections.abc import Callable

from buko.application.books.base import load_book
from buko.application.ports import BookSummary, UnitOfWork
from buko.domain.accounts.user import User
from buko.domain.billing.plans import Plan, effective_plan, month_start
from buko.domain.books.book import Book
from buko.domain.errors import NotFound

MAX_PAGE = 100


class Queries:
    def __init__(self, uow: Callable[[], UnitOfWork]):
        self.uow = uow

    async def book(self, book_id: str) -> Book:
        return await load_book(self.uow, book_id)

    async def book_outline(self, book_id: str) -> Book:
        """The book without its chunks' texts (status, progress, chunk metadata, usage): for showing it."""
        async with self.uow() as uow:
            book = await uow.books.outline(book_id)
        if book is None:
            raise NotFound(f"no book {book_id}")
        return book

    async def books_of(self, owner_id: str) -> list[Book]:
        async with self.uow() as uow:
            return await uow.books.list_for_owner(owner_id)

    async def user_by_email(self, email: str) -> User | None:
        async with self.uow() as uow:
            return await uow.users.get_by_email(email.strip().lower())

    async def user(self, user_id: str) -> User:
        async with self.uow() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        return user

    async def require_book(self, user: User, book_id: str) -> None:
        """Raise NotFound unless `user` may see the book (its owner, or an admin)."""
        self.check_owner(user, await self.owner(book_id), book_id)

    async def owner(self, book_id: str) -> str | None:
        """The id of the book's owner, None when there is no such book."""
        async with self.uow() as uow:
            return await uow.books.owner_of(book_id)

    async def owned_book(self, user: User, book_id: str) -> Book:
        """The book, if `user` may see it (one unit of work): NotFound otherwise."""
        book = await self.book(book_id)
        self.check_owner(user, book.owner_id, book_id)
        return book

    @staticmethod
    def check_owner(user: User, owner_id: str | None, book_id: str) -> None:
        """Someone else's book is NotFound exactly like one that does not exist; admins see every book."""
        if owner_id is None or (owner_id != user.id and not user.is_admin):
            raise NotFound(f"no book {book_id}")

    async def summaries(self, *, owner_id: str | None = None, status: str | None = None,
                        offset: int = 0, limit: int = 20) -> tuple[list[BookSummary], int]:
        async with self.uow() as uow:
            return await uow.books.summaries(owner_id=owner_id, status=status, offset=max(offset, 0),
                                             limit=min(max(limit, 1), MAX_PAGE))

    async def plan_usage(self, user: User, now) -> tuple[Plan, int]:
        """The user's plan and the books started this month."""
        async with self.uow() as uow:
            plan = effective_plan(await uow.subscriptions.get_for_user(user.id), now)
            started = await uow.books.count_created_since(user.id, month_start(now))
        return plan, started
