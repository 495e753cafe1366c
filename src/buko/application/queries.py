"""Read-only questions the entry points ask; no transaction is committed."""
from __future__ import annotations

from collections.abc import Callable

from buko.application.books.base import load_book
from buko.application.ports import UnitOfWork
from buko.domain.accounts.user import User
from buko.domain.books.book import Book


class Queries:
    def __init__(self, uow: Callable[[], UnitOfWork]):
        self.uow = uow

    async def book(self, book_id: str) -> Book:
        return await load_book(self.uow, book_id)

    async def books_of(self, owner_id: str) -> list[Book]:
        async with self.uow() as uow:
            return await uow.books.list_for_owner(owner_id)

    async def user_by_email(self, email: str) -> User | None:
        async with self.uow() as uow:
            return await uow.users.get_by_email(email.strip().lower())
