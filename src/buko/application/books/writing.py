"""Write one chunk: claim it, stream it from the model to live watchers, store it once."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from buko.application.books.base import BookUseCase
from buko.application.books.patience import DEFAULT_MAX_WAIT, give_up_reason, patiently
from buko.application.commands import WriteChunk
from buko.application.liveness import WorkerLiveness
from buko.application.messagebus import MessageBus
from buko.application.ports import (
    ChunkRequest,
    Clock,
    LanguageModel,
    LiveEvents,
    ModelUnavailable,
    UnitOfWork,
    spent_on,
)
from buko.domain.books.book import Book, BookStatus
from buko.domain.books.usage import Usage
from buko.domain.errors import ChunkBusy

log = logging.getLogger(__name__)


class WriteChunkHandler(BookUseCase):
    """Runs on the `book_generation_normal` queue. A finished chunk is never written twice.

    The model call happens outside any transaction; the chunk is claimed with a lease
    first, so a second delivery of the same task while the first is alive does nothing.
    """

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        bus: MessageBus,
        llm: LanguageModel,
        live: LiveEvents,
        clock: Clock,
        worker_id: str,
        lease: timedelta,
        max_wait: float = DEFAULT_MAX_WAIT,
        liveness: WorkerLiveness | None = None,
    ):
        super().__init__(uow, bus)
        self.llm, self.live, self.clock = llm, live, clock
        self.worker_id, self.lease, self.max_wait = worker_id, lease, max_wait
        self.liveness = liveness  # None: no heartbeats (one process), only an expired lease frees a chunk

    async def __call__(self, cmd: WriteChunk) -> bool:
        """Returns True when this call wrote the chunk."""
        request = await self._claim_or_take_over(cmd)
        if request is None:
            return False
        chunk = request.chunk
        # Every event of this claim says which attempt it belongs to, and every delta where it starts
        # in the attempt's text (`at`, in characters): a watcher that missed some events (the live
        # stream was reset under it) can tell a fragment from the whole text (books/streamed.py).
        attempt, shown = chunk.attempts, [0]
        await self._tell(
            cmd.book_id,
            {"type": "chunk_started", "index": chunk.index, "chapter": chunk.chapter_number,
             "target_words": chunk.target_words, "attempt": attempt},
        )

        async def on_text(delta: str) -> None:
            at, shown[0] = shown[0], shown[0] + len(delta)
            await self._tell(
                cmd.book_id, {"type": "delta", "index": chunk.index, "text": delta, "at": at, "attempt": attempt}
            )

        async def on_restart() -> None:
            shown[0] = 0
            await self._tell(cmd.book_id, {"type": "chunk_restarted", "index": chunk.index, "attempt": attempt})

        async def announce(reason: str, retry_after: float) -> None:
            await self._tell(
                cmd.book_id, {"type": "waiting", "index": chunk.index, "reason": reason, "retry_after": retry_after}
            )

        # What failed attempts cost, and the text an unavailable model left: the next attempt
        # continues that text, and every billed call ends up on the chunk.
        spent, current = [Usage()], [request]

        async def call():
            shown[0] = len(current[0].written_so_far)  # a continuation's text follows what was shown
            try:
                return await self.llm.write(current[0], on_text, on_restart)
            except Exception as failure:
                spent[0] = spent[0] + spent_on(failure)
                if isinstance(failure, ModelUnavailable):
                    current[0] = replace(current[0], written_so_far=failure.partial)
                raise

        renewing = asyncio.create_task(self._keep_lease(cmd))
        try:
            result = await patiently(call, announce, self.clock.sleep, self.max_wait)
        except Exception as exc:  # the model failed for good: keep what is done, fail resumably
            reason = give_up_reason("writing", exc, self.max_wait)
            log.error("chunk %s of book %s: %s", cmd.index, cmd.book_id, reason)
            log.debug("chunk %s of book %s failed", cmd.index, cmd.book_id, exc_info=True)
            if current[0].written_so_far:  # the text kept while waiting will not be stored
                await self._tell(cmd.book_id, {"type": "chunk_restarted", "index": chunk.index, "attempt": attempt})
            await self.change(cmd.book_id, lambda book: _give_up(book, cmd.index, self.worker_id, reason, spent[0]))
            return False
        finally:
            renewing.cancel()
        usage = spent[0] + result.usage
        await self.change(
            cmd.book_id, lambda book: book.complete_chunk(cmd.index, result.text, usage, result.summary)
        )
        return True

    async def abandon(self, cmd: WriteChunk) -> bool:
        """Give back a chunk this worker is writing (it is shutting down) and queue it again.

        The lease ends now, so the next delivery may claim it at once; the partial text is dropped.
        Returns False when the chunk is done or held by someone else (nothing to give back).
        """
        if not await self.change(cmd.book_id, lambda book: book.end_lease(cmd.index, self.worker_id)):
            return False
        await self._tell(cmd.book_id, {"type": "chunk_restarted", "index": cmd.index})
        return True

    async def _tell(self, book_id: str, event: dict) -> None:
        """Progress for watchers is best effort: a live-events outage must not fail the chunk
        (the stored chunks are the truth, and watchers catch up from them)."""
        try:
            await self.live.publish(book_id, event)
        except Exception as exc:  # said once per chunk: an outage would otherwise log every delta
            said = getattr(self, "_said_unpublished", False)
            (log.debug if said else log.warning)("could not publish a live event for book %s: %s", book_id, exc)
            self._said_unpublished = True

    async def _keep_lease(self, cmd: WriteChunk) -> None:
        """Renew the lease while the chunk is being written, so a long chunk (or a long wait for
        the model) is never taken over by another worker as if this one had died."""
        interval = max(self.lease.total_seconds() / 3, 1.0)
        while True:
            await asyncio.sleep(interval)
            try:
                held = await self.change(
                    cmd.book_id, lambda book: book.renew_lease(cmd.index, self.worker_id, self.clock.now(), self.lease)
                )
            except Exception:  # a failed renewal is retried at the next interval; the lease still runs
                log.warning("could not renew the lease on chunk %s of book %s", cmd.index, cmd.book_id, exc_info=True)
                continue
            if not held:
                log.warning("chunk %s of book %s is no longer held by %s", cmd.index, cmd.book_id, self.worker_id)
                return

    async def _claim_or_take_over(self, cmd: WriteChunk) -> ChunkRequest | None:
        """Claim the chunk; when another worker's lease is on it, take it over if that worker is gone."""
        try:
            return await self.change(cmd.book_id, lambda book: self._claim(book, cmd.index))
        except ChunkBusy as busy:
            holder = await self._gone_holder(cmd)
            if not holder:
                log.info("%s", busy)
                return None
        log.warning("worker %s died holding chunk %s of book %s: taken over", holder, cmd.index, cmd.book_id)
        try:
            return await self.change(cmd.book_id, lambda book: self._claim(book, cmd.index, gone=holder))
        except ChunkBusy as busy:  # someone else took it over first
            log.info("%s", busy)
            return None

    async def _gone_holder(self, cmd: WriteChunk) -> str:
        """The worker holding the chunk's lease, when its heartbeat says it is gone; else ""."""
        if self.liveness is None:
            return ""
        async with self.uow() as uow:
            book = await uow.books.get(cmd.book_id)
        holder = book.chunks[cmd.index].lease_owner if book is not None else ""
        if not holder or holder == self.worker_id or await self.liveness.alive(holder):
            return ""
        return holder

    def _claim(self, book: Book, index: int, gone: str = "") -> ChunkRequest | None:
        if book.status is not BookStatus.WRITING:
            log.info("book %s is %s: chunk %s not written", book.id, book.status, index)
            return None
        if not book.claim_chunk(index, self.worker_id, self.clock.now(), self.lease, gone=gone):
            return None
        return ChunkRequest(
            book_id=book.id,
            brief=book.brief,
            architecture=book.architecture,
            chunk=book.chunks[index],
            summary_so_far=book.summary_before(index),
            previous_tail=book.previous_tail(index),
        )


def _give_up(book: Book, index: int, owner: str, reason: str, spent: Usage) -> None:
    # A worker whose lease was taken over must not undo the new owner's work.
    if book.release_chunk(index, owner, spent) and book.status is BookStatus.WRITING:
        book.fail(reason)
