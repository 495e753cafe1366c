"""The TaskQueue port on taskiq: one broker per queue (architecture_high, book_generation_normal, emails_low)."""
from __future__ import annotations

from dataclasses import asdict

from taskiq import AsyncBroker, InMemoryBroker
from taskiq.kicker import AsyncKicker

from buko.application.commands import QUEUES, ApplyPaymentEvent, Command, ExportBook, PlanBook, SendEmail, WriteChunk
from buko.application.ports import TaskQueue

TASK_NAMES: dict[type[Command], str] = {
    PlanBook: "buko.plan_book",
    WriteChunk: "buko.write_chunk",
    SendEmail: "buko.send_email",
    ExportBook: "buko.export_book",
    ApplyPaymentEvent: "buko.apply_payment_event",
}


def in_memory_brokers(concurrency: int) -> dict[str, AsyncBroker]:
    """The embedded default: every queue runs in this process, at most `concurrency` tasks each."""
    return {queue: InMemoryBroker(max_async_tasks=concurrency) for queue in QUEUES}


class TaskiqTaskQueue(TaskQueue):
    """Kicks a command's task on its queue's broker; the worker registers the tasks by name."""

    def __init__(self, brokers: dict[str, AsyncBroker]):
        self.brokers = brokers

    async def enqueue(self, command: Command) -> None:
        broker = self.brokers[command.queue]
        kicker = AsyncKicker(task_name=TASK_NAMES[type(command)], broker=broker, labels={})
        await kicker.kiq(**asdict(command))
