"""taskiq tasks: as thin as routes. Each turns its message into a command for a use case."""
from __future__ import annotations

import asyncio
import contextlib
import logging

from taskiq import AsyncBroker, Context, TaskiqDepends

from buko.adapters.observability import tasks as observed
from buko.adapters.queue.taskiq_queue import TASK_NAMES
from buko.application.commands import (
    ARCHITECTURE_QUEUE,
    EMAIL_QUEUE,
    ApplyPaymentEvent,
    GENERATION_QUEUE,
    ExportBook,
    PlanBook,
    SendEmail,
    WriteChunk,
)


def use_cases(context: Context = TaskiqDepends()):
    """The container's use cases, put in the broker's state at startup."""
    return context.state.container.use_cases


log = logging.getLogger(__name__)


async def plan_book(book_id: str, notes: str = "", uc=TaskiqDepends(use_cases)) -> None:
    handler, command = uc.plan_book(), PlanBook(book_id, notes)
    try:
        await handler(command)
    except asyncio.CancelledError:  # the worker is stopping: planning is idempotent, queue it again
        log.warning("worker stopping: planning of book %s queued again", book_id)
        await asyncio.shield(handler.abandon(command))
        _handed_back()


async def write_chunk(book_id: str, index: int, uc=TaskiqDepends(use_cases)) -> None:
    handler, command = uc.write_chunk(), WriteChunk(book_id, index)
    try:
        await handler(command)
    except asyncio.CancelledError:  # the worker is stopping: give the chunk back, queued again
        log.warning("worker stopping: chunk %s of book %s given back", index, book_id)
        await asyncio.shield(handler.abandon(command))
        _handed_back()
    except Exception:  # not the model (that fails the book resumably): give the chunk back if we can
        with contextlib.suppress(Exception):
            await asyncio.shield(asyncio.wait_for(handler.abandon(command), 10))
        raise


def _handed_back() -> None:
    """The work was handed back and queued again: this delivery is done, and acknowledging it is
    right. Ending normally keeps taskiq from logging the cancellation as an error with a traceback."""
    observed.handed_back()
    task = asyncio.current_task()
    while task.cancelling():
        task.uncancel()


async def send_email(to: str, subject: str, body: str, html: str = "", mail_id: str = "",
                     uc=TaskiqDepends(use_cases)) -> None:
    await uc.send_email()(SendEmail(to, subject, body, html, mail_id))


async def apply_payment_event(event_row_id: str, uc=TaskiqDepends(use_cases)) -> None:
    await uc.webhooks().apply(ApplyPaymentEvent(event_row_id))


async def export_book(book_id: str, format: str, bleed: bool = False, paper: str = "",
                      uc=TaskiqDepends(use_cases)) -> None:
    await uc.export_book()(ExportBook(book_id, format, bleed, paper))


TASKS = {
    ARCHITECTURE_QUEUE: [(plan_book, TASK_NAMES[PlanBook]), (apply_payment_event, TASK_NAMES[ApplyPaymentEvent])],
    GENERATION_QUEUE: [(write_chunk, TASK_NAMES[WriteChunk]), (export_book, TASK_NAMES[ExportBook])],
    EMAIL_QUEUE: [(send_email, TASK_NAMES[SendEmail])],
}


def register(brokers: dict[str, AsyncBroker], container) -> None:
    """Register each queue's tasks on its broker and hand the broker the container."""
    for queue, broker in brokers.items():
        broker.state.container = container
        for func, name in TASKS[queue]:
            if broker.find_task(name) is None:
                broker.register_task(func, task_name=name)
