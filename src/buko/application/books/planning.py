"""Plan a book: ask the model for an architecture (or a revision) and store it."""
from __future__ import annotations

import logging
from collections.abc import Callable

from buko.application.books.base import BookUseCase, load_book
from buko.application.books.patience import DEFAULT_MAX_WAIT, patiently
from buko.application.commands import PlanBook
from buko.application.messagebus import MessageBus
from buko.application.ports import ArchitectureRequest, Clock, LanguageModel, LiveEvents, UnitOfWork
from buko.domain.books.book import Book, BookStatus
from buko.domain.errors import DomainError

log = logging.getLogger(__name__)


class PlanBookHandler(BookUseCase):
    """Runs on the `architecture_high` queue. Idempotent: only a book in `planning` is planned."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        bus: MessageBus,
        llm: LanguageModel,
        live: LiveEvents,
        clock: Clock,
        max_wait: float = DEFAULT_MAX_WAIT,
    ):
        super().__init__(uow, bus)
        self.llm, self.live, self.clock, self.max_wait = llm, live, clock, max_wait

    async def __call__(self, cmd: PlanBook) -> None:
        book = await load_book(self.uow, cmd.book_id)
        if book.status is not BookStatus.PLANNING:
            log.info("book %s is %s, not planning: nothing to plan", book.id, book.status)
            return
        await self.live.publish(book.id, {"type": "planning", "writer": self.llm.name, "demo": self.llm.demo})
        request = ArchitectureRequest(brief=book.brief, current=book.architecture, notes=cmd.notes)
        async def announce(reason: str, retry_after: float) -> None:
            await self.live.publish(book.id, {"type": "waiting", "reason": reason, "retry_after": retry_after})

        try:
            result = await patiently(
                lambda: self.llm.architect(request), announce, self.clock.sleep, self.max_wait
            )
        except Exception as exc:  # any failure of the model call fails the book, resumably
            log.exception("planning book %s failed", book.id)
            await self.change(book.id, lambda b: _fail_if_planning(b, f"planning failed: {exc}"))
            return

        def store(b: Book) -> None:
            if b.status is BookStatus.PLANNING:
                try:
                    b.architecture_ready(result.architecture, result.usage, self.llm.name, self.llm.demo)
                except DomainError as invalid:
                    b.planning_failed(str(invalid))

        await self.change(book.id, store)


    async def abandon(self, cmd: PlanBook) -> None:
        """This worker is stopping mid-plan: ask for the plan again (with the book's revision notes)."""

        def again(book: Book) -> None:
            if book.status is BookStatus.PLANNING:
                book.request_plan(takeover=True)

        await self.change(cmd.book_id, again)


def _fail_if_planning(book: Book, reason: str) -> None:
    if book.status is BookStatus.PLANNING:
        book.planning_failed(reason)
