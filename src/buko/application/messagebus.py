"""Routes domain events to their handlers, after the transaction that raised them commits."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

from buko.application.commands import EXPORT_FORMATS, ExportBook, PlanBook, SendEmail, WriteChunk
from buko.application.ports import LiveEvents, TaskQueue, UnitOfWork
from buko.domain.books import events

log = logging.getLogger(__name__)
Handler = Callable[[events.Event], Awaitable[None]]
ENQUEUE_RETRIES = (0.2, 0.5, 1.0, 2.0, 4.0)


class MessageBus:
    """Dispatches events: queue follow-up work, tell live watchers, mail the author."""

    def __init__(
        self,
        queue: TaskQueue,
        live: LiveEvents,
        uow: Callable[[], UnitOfWork],
        export_formats: tuple[str, ...] = EXPORT_FORMATS,
        notifier=None,
    ):
        self.queue, self.live, self.uow = queue, live, uow
        self.export_formats = export_formats
        self.notifier = notifier  # notifications.Notifier: templated mail through the outbox
        self.handlers: dict[type[events.Event], list[Handler]] = {
            events.PlanningRequested: [self._enqueue_planning],
            events.ChunkQueued: [self._enqueue_chunk],
            events.BookPlanned: [self._announce("planned")],
            events.RevisionFailed: [self._announce("revision_failed")],
            events.ArchitectureApproved: [self._announce("approved")],
            events.ChunkWritten: [self._announce("chunk_written")],
            # Exports are queued before the news goes out, so a follower that hears it finds them queued.
            events.BookWritten: [self._enqueue_exports, self._announce("book_written"), self._mail_author],
            events.BookFailed: [self._announce("book_failed")],
            events.BookCancelled: [self._announce("book_cancelled")],
        }
        if notifier is not None:
            self.handlers[events.BookPlanned].append(self._mail_architecture_ready)
            written = self.handlers[events.BookWritten]
            written[written.index(self._mail_author)] = self._mail_book_ready

    async def dispatch(self, raised: Iterable[events.Event]) -> None:
        """Run every handler of every event. One failing handler never keeps the others from running:
        the next chunk is queued even when telling watchers about the last one failed."""
        for event in list(raised):
            for handler in self.handlers.get(type(event), ()):
                try:
                    await handler(event)
                except Exception as exc:
                    log.warning("handling %s failed: %s (what it left undone is recovered: the sweeper "
                                "re-queues work, watchers catch up from the stored chunks)", type(event).__name__,
                                exc or type(exc).__name__)

    async def _enqueue(self, command) -> None:
        """Queue follow-up work, riding out a short outage of the queue (a Redis restart)."""
        for delay in ENQUEUE_RETRIES:
            try:
                await self.queue.enqueue(command)
                return
            except Exception as exc:
                log.warning("could not queue %s (%s); retrying in %.1f s", type(command).__name__, exc, delay)
                await asyncio.sleep(delay)
        await self.queue.enqueue(command)

    async def _enqueue_planning(self, event: events.PlanningRequested) -> None:
        await self._enqueue(PlanBook(event.book_id, event.notes))

    async def _enqueue_chunk(self, event: events.ChunkQueued) -> None:
        await self._enqueue(WriteChunk(event.book_id, event.index))

    async def _enqueue_exports(self, event: events.BookWritten) -> None:
        """Files are rendered in a worker now, so a download later is a cache hit."""
        for fmt in self.export_formats:
            await self._enqueue(ExportBook(event.book_id, fmt))

    def _announce(self, kind: str) -> Handler:
        async def publish(event: events.Event) -> None:
            payload = {k: v for k, v in vars(event).items() if k != "book_id"}
            await self.live.publish(event.book_id, {"type": kind, **payload})

        return publish

    async def _mail_architecture_ready(self, event: events.BookPlanned) -> None:
        await self.notifier.architecture_ready(event.book_id)

    async def _mail_book_ready(self, event: events.BookWritten) -> None:
        await self.notifier.book_ready(event.book_id)

    async def _mail_author(self, event: events.BookWritten) -> None:
        async with self.uow() as uow:
            owner = await uow.users.get(event.owner_id)
            book = await uow.books.get(event.book_id)
        if owner is None or book is None:
            log.warning("book %s written but its owner is gone; no mail sent", event.book_id)
            return
        await self._enqueue(
            SendEmail(
                to=owner.email,
                subject=" ".join(f"Your book is ready: {book.title}".split()),
                body=f"Hello {owner.name},\n\n\"{book.title}\" is written ({book.words_written} words). "
                "You can download it as PDF, EPUB or DOCX.\n\nBuko",
            )
        )
