"""The cover editor's use cases: the book's current design, suggestions, saving, a preview image."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from buko.application.books.base import load_book
from buko.application.ports import CoverAdvisor, CoverRenderer, UnitOfWork
from buko.domain.books.book import Book
from buko.domain.books.cover import Cover, default_cover
from buko.domain.books.manuscript import Manuscript
from buko.domain.errors import NotFound


@dataclass(frozen=True)
class DesignCover:
    book_id: str
    cover: Cover


class CoverDesigns:
    def __init__(self, uow: Callable[[], UnitOfWork], renderer: CoverRenderer, advisor: CoverAdvisor):
        self.uow, self.renderer, self.advisor = uow, renderer, advisor

    @staticmethod
    def of(book: Book) -> Cover:
        """The book's cover: the author's design, or the default one every export draws without it."""
        if book.cover is not None:
            return book.cover
        arch = book.architecture
        return default_cover(arch.title if arch else book.title, arch.subtitle if arch else "", book.brief.author)

    async def current(self, book_id: str) -> Cover:
        return self.of(await load_book(self.uow, book_id))

    async def suggestions(self, book_id: str) -> list[Cover]:
        book = await load_book(self.uow, book_id)
        arch = book.architecture
        if arch is None:
            return []
        return await self.advisor.suggest(arch.title, arch.subtitle, book.brief.author, arch.synopsis,
                                          arch.language or book.brief.language)

    async def save(self, cmd: DesignCover) -> None:
        async with self.uow() as uow:
            book = await uow.books.get(cmd.book_id, for_update=True)
            if book is None:
                raise NotFound(f"no book {cmd.book_id}")
            book.design_cover(cmd.cover)
            await uow.commit()

    async def preview(self, book_id: str) -> bytes:
        """The cover exactly as the exports draw it (PNG)."""
        book = await load_book(self.uow, book_id)
        if book.architecture is None:
            raise NotFound(f"book {book_id} has no cover before it is planned")
        return await asyncio.to_thread(self.renderer.render, Manuscript.from_book(book))
