"""Use cases that move a book through its life at the author's request."""
from __future__ import annotations

import uuid
from collections.abc import Callable

from buko.application.books.base import BookUseCase
from buko.application.commands import (
    ApproveArchitecture,
    CancelBook,
    CreateBook,
    EditArchitecture,
    ResumeBook,
    ReviseArchitecture,
    WriteBook,
)
from buko.application.messagebus import MessageBus
from buko.application.ports import Clock, UnitOfWork
from buko.domain.billing.plans import check_quota, effective_plan, month_start
from buko.domain.books.book import Book, BookStatus
from buko.domain.errors import NotFound


class CreateBookHandler(BookUseCase):
    """Checks the author's quota, stores the book and asks for its architecture."""

    def __init__(self, uow: Callable[[], UnitOfWork], bus: MessageBus, clock: Clock):
        super().__init__(uow, bus)
        self.clock = clock

    async def __call__(self, cmd: CreateBook) -> str:
        now = self.clock.now()
        async with self.uow() as uow:
            if await uow.users.get(cmd.owner_id) is None:
                raise NotFound(f"no user {cmd.owner_id}")
            plan = effective_plan(await uow.subscriptions.get_for_user(cmd.owner_id), now)
            started = await uow.books.count_created_since(cmd.owner_id, month_start(now))
            check_quota(plan, started, cmd.brief.target_words)
            book = Book(id=uuid.uuid4().hex, owner_id=cmd.owner_id, brief=cmd.brief, created_at=now)
            book.request_plan()
            await uow.books.add(book)
            await uow.commit()
            raised = list(uow.collect_new_events())
        await self.bus.dispatch(raised)
        return book.id


class ReviseArchitectureHandler(BookUseCase):
    async def __call__(self, cmd: ReviseArchitecture) -> None:
        await self.change(cmd.book_id, lambda book: book.request_revision(cmd.notes))


class EditArchitectureHandler(BookUseCase):
    async def __call__(self, cmd: EditArchitecture) -> int:
        return await self.change(cmd.book_id, lambda book: book.edit(cmd.architecture, cmd.expected_version))


class ApproveArchitectureHandler(BookUseCase):
    def __init__(self, uow: Callable[[], UnitOfWork], bus: MessageBus, chunk_words: int):
        super().__init__(uow, bus)
        self.chunk_words = chunk_words

    async def __call__(self, cmd: ApproveArchitecture) -> int:
        """Approve and split into chunks; returns the number of chunks."""
        def approve(book: Book) -> int:
            book.approve(self.chunk_words)
            return len(book.chunks)

        return await self.change(cmd.book_id, approve)


class WriteBookHandler(BookUseCase):
    """Starts (or resumes) writing: queues the first chunk of up to `lanes` chapters.

    Chunks other workers hold under a live lease stay theirs.
    """

    def __init__(self, uow: Callable[[], UnitOfWork], bus: MessageBus, clock: Clock):
        super().__init__(uow, bus)
        self.clock = clock

    async def __call__(self, cmd: WriteBook) -> list[int]:
        return await self.change(cmd.book_id, lambda book: book.start_writing(cmd.lanes, self.clock.now()))


class ResumeBookHandler(BookUseCase):
    """Picks a stopped book up where it stopped: planning again when it has no chunks yet, else
    writing from the first unfinished chunk. `takeover` is for a single process that knows the
    book's previous tasks died with it (the embedded setup): leases are not waited for."""

    def __init__(self, uow: Callable[[], UnitOfWork], bus: MessageBus, clock: Clock):
        super().__init__(uow, bus)
        self.clock = clock

    async def __call__(self, cmd: ResumeBook) -> BookStatus:
        def resume(book: Book) -> BookStatus:
            if book.chunks:
                book.start_writing(cmd.lanes, None if cmd.takeover else self.clock.now())
            else:
                book.request_plan(takeover=cmd.takeover)
            return book.status

        return await self.change(cmd.book_id, resume)


class CancelBookHandler(BookUseCase):
    async def __call__(self, cmd: CancelBook) -> None:
        await self.change(cmd.book_id, lambda book: book.cancel())
