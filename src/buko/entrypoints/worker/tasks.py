"""taskiq tasks: as thin as routes. Each turns its message into a command for a use case."""
from __future__ import annotations

from taskiq import AsyncBroker, Context, TaskiqDepends

from buko.adapters.queue.taskiq_queue import TASK_NAMES
from buko.application.commands import (
    ARCHITECTURE_QUEUE,
    EMAIL_QUEUE,
    GENERATION_QUEUE,
    PlanBook,
    SendEmail,
    WriteChunk,
)


def use_cases(context: Context = TaskiqDepends()):
    """The container's use cases, put in the broker's state at startup."""
    return context.state.container.use_cases


async def plan_book(book_id: str, notes: str = "", uc=TaskiqDepends(use_cases)) -> None:
    await uc.plan_book()(PlanBook(book_id, notes))


async def write_chunk(book_id: str, index: int, uc=TaskiqDepends(use_cases)) -> None:
    await uc.write_chunk()(WriteChunk(book_id, index))


async def send_email(to: str, subject: str, body: str, uc=TaskiqDepends(use_cases)) -> None:
    await uc.send_email()(SendEmail(to, subject, body))


TASKS = {
    ARCHITECTURE_QUEUE: [(plan_book, TASK_NAMES[PlanBook])],
    GENERATION_QUEUE: [(write_chunk, TASK_NAMES[WriteChunk])],
    EMAIL_QUEUE: [(send_email, TASK_NAMES[SendEmail])],
}


def register(brokers: dict[str, AsyncBroker], container) -> None:
    """Register each queue's tasks on its broker and hand the broker the container."""
    for queue, broker in brokers.items():
        broker.state.container = container
        for func, name in TASKS[queue]:
            if broker.find_task(name) is None:
                broker.register_task(func, task_name=name)
