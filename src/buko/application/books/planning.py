"""Plan a book: ask the model for an architecture (or a revision) and store it."""
from __future__ import annotations

import logging
from collections.abc import Callable

from buko.application.books.base import BookUseCase, load_book
from buko.application.books.patience import DEFAULT_MAX_WAIT, give_up_reason, patiently
from buko.application.commands import PlanBook
from buko.application.messagebus import MessageBus
from buko.application.ports import ArchitectureRequest, Clock, LanguageModel, LiveEvents, UnitOfWork, spent_on
from buko.domain.books.book import Book, BookStatus
from buko.domain.books.usage import Usage
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

        spent = [Usage()]  # what failed attempts cost: it counts on the book whatever happens

        async def attempt():
            try:
                return await self.llm.architect(request)
            except Exception as failure:
                spent[0] = spent[0] + spent_on(failure)
                raise

        try:
            result = await patiently(attempt, announce, self.clock.sleep, self.max_wait)
        except Exception as exc:  # any failure of the model call fails the book, resumably
            reason = give_up_reason("planning", exc, self.max_wait)
            log.error("book %s: %s", book.id, reason)
            log.debug("planning book %s failed", book.id, exc_info=True)
            await self.change(book.id, lambda b: _fail_if_planning(b, reason, spent[0]))
            return
        usage = spent[0] + result.usage

        def store(b: Book) -> None:
            if b.status is BookStatus.PLANNING:
                try:
                    b.architecture_ready(result.architecture, usage, self.llm.name, self.llm.demo)
                except DomainError as invalid:
                    b.planning_failed(str(invalid), usage)

        await self.change(book.id, store)


    async def abandon(self, cmd: PlanBook) -> None:
        """This worker is stopping mid-plan: ask for the plan again (with the book's revision notes)."""

        def again(book: Book) -> None:
            if book.status is BookStatus.PLANNING:
                book.request_plan(takeover=True)

        await self.change(cmd.book_id, again)


def _fail_if_planning(book: Book, reason: str, spent: Usage) -> None:
    if book.status is BookStatus.PLANNING:
        book.planning_failed(reason, spent)
