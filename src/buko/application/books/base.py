"""What the book use cases share: load one book, change it, commit, then dispatch its events."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from buko.application.messagebus import MessageBus
from buko.application.ports import UnitOfWork
from buko.domain.books.book import Book
from buko.domain.errors import NotFound

T = TypeVar("T")


class BookUseCase:
    def __init__(self, uow: Callable[[], UnitOfWork], bus: MessageBus):
        self.uow, self.bus = uow, bus

    async def change(self, book_id: str, change: Callable[[Book], T]) -> T:
        """Apply `change` to the locked book in one transaction; dispatch the events it raised."""
        async with self.uow() as uow:
            book = await uow.books.get(book_id, for_update=True)
            if book is None:
                raise NotFound(f"no book {book_id}")
            result = change(book)
            await uow.commit()
            raised = list(uow.collect_new_events())
        await self.bus.dispatch(raised)
        return result


async def load_book(uow_factory: Callable[[], UnitOfWork], book_id: str) -> Book:
    async with uow_factory() as uow:
        book = await uow.books.get(book_id)
    if book is None:
        raise NotFound(f"no book {book_id}")
    return book
