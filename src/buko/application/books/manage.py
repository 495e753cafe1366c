"""Regenerate one chunk; delete a book with its files."""
from __future__ import annotations

from collections.abc import Callable

from buko.application.books.base import BookUseCase
from buko.application.commands import DeleteBook, RegenerateChunk
from buko.application.messagebus import MessageBus
from buko.application.ports import ArtifactStore, UnitOfWork
from buko.domain.books.book import BookStatus
from buko.domain.errors import Conflict, NotFound

BUSY = (BookStatus.PLANNING, BookStatus.APPROVED, BookStatus.WRITING)


class RegenerateChunkHandler(BookUseCase):
    """The chunk is written again with the same context; the exports follow the new text (their
    cache key is the text), so the old files are never served for it."""

    async def __call__(self, cmd: RegenerateChunk) -> None:
        await self.change(cmd.book_id, lambda book: book.regenerate_chunk(cmd.index))


class DeleteBookHandler:
    def __init__(self, uow: Callable[[], UnitOfWork], bus: MessageBus, artifacts: ArtifactStore):
        self.uow, self.bus, self.artifacts = uow, bus, artifacts

    async def __call__(self, cmd: DeleteBook) -> None:
        async with self.uow() as uow:
            book = await uow.books.get(cmd.book_id, for_update=True)
            if book is None:
                raise NotFound(f"no book {cmd.book_id}")
            if book.status in BUSY:
                raise Conflict(f"the book is {book.status.value}: cancel it first, then delete it",
                               {"status": book.status.value})
            await uow.books.delete(book.id)
            await uow.commit()
        await self.artifacts.remove_all(cmd.book_id)
