"""A taskiq middleware that carries the request's ids into the queue and logs and measures every task.

On send (web process, or a worker queueing follow-up work) the current request id, user id and
task id ride along as message labels. On execution the worker binds them, with the task's own
id, name, queue and book id, to every log line of the task (the model call's included), and logs
the task taken, then finished, given back or failed. A task that raised is kept as a TaskFailure,
which an admin may send back to its queue.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from taskiq import TaskiqMessage, TaskiqMiddleware, TaskiqResult

from buko.adapters.observability import logs, metrics
from buko.application.operations.ports import TaskFailure, TaskFailures

HANDED_BACK: ContextVar[bool] = ContextVar("buko_task_handed_back", default=False)
_STARTED: ContextVar[float] = ContextVar("buko_task_started", default=0.0)
CARRIED = ("request_id", "user_id")
# Tasks running in this process: task_id -> (queue, task name, kwargs, monotonic start), for the queues page.
RUNNING: dict[str, tuple[str, str, dict, float]] = {}
log = logs.get_logger("buko.tasks")


def handed_back() -> None:
    """The running task gave its work back to the queue (the worker is stopping)."""
    HANDED_BACK.set(True)


def _short(task_name: str) -> str:
    return task_name.rsplit(".", 1)[-1]


class TaskObservability(TaskiqMiddleware):
    def __init__(self, queue: str, failures: TaskFailures | None = None):
        super().__init__()
        self.queue, self.failures = queue, failures

    def pre_send(self, message: TaskiqMessage) -> TaskiqMessage:
        context = logs.current()
        for key in CARRIED:
            if context.get(key):
                message.labels[f"buko_{key}"] = str(context[key])
        if context.get("task_id"):
            message.labels["buko_parent_task_id"] = str(context["task_id"])
        book_id = message.kwargs.get("book_id")
        if book_id and not context.get("book_id"):
            logs.bind(book_id=book_id)  # the rest of this request's lines name the book it started
        log.info("task queued", queued_task=_short(message.task_name), queued_task_id=message.task_id,
                 queued_to=self.queue, book_id=book_id or context.get("book_id"))
        return message

    def pre_execute(self, message: TaskiqMessage) -> TaskiqMessage:
        logs.clear()
        carried = {key: message.labels[f"buko_{key}"] for key in CARRIED if message.labels.get(f"buko_{key}")}
        kwargs = message.kwargs or {}
        bound = dict(task_id=message.task_id, task=_short(message.task_name), queue=self.queue, **carried)
        if kwargs.get("book_id"):
            bound["book_id"] = kwargs["book_id"]
        if "index" in kwargs:
            bound["chunk_index"] = kwargs["index"]
        if message.labels.get("buko_parent_task_id"):
            bound["parent_task_id"] = message.labels["buko_parent_task_id"]
        logs.bind(**bound)
        HANDED_BACK.set(False)
        _STARTED.set(time.monotonic())
        RUNNING[message.task_id] = (self.queue, message.task_name, dict(kwargs), time.monotonic())
        log.info("task taken")
        return message

    async def post_execute(self, message: TaskiqMessage, result: TaskiqResult) -> None:
        seconds = time.monotonic() - (_STARTED.get() or time.monotonic())
        RUNNING.pop(message.task_id, None)
        task = _short(message.task_name)
        error = result.error if result.is_err else None
        if isinstance(error, asyncio.CancelledError):
            outcome = "cancelled"
        elif error is not None:
            outcome = "failed"
        else:
            outcome = "handed_back" if HANDED_BACK.get() else "ok"
        metrics.TASKS.labels(self.queue, task, outcome).inc()
        metrics.TASK_DURATION.labels(self.queue, task).observe(seconds)
        if outcome == "failed":
            metrics.TASK_FAILURES.labels(self.queue, task).inc()
            text = f"{type(error).__name__}: {error}"[:4000]
            log.error("task failed", seconds=round(seconds, 3), error=text)
            await self._keep(message, text)
        elif outcome == "handed_back":
            log.warning("task given back", seconds=round(seconds, 3))
        elif outcome == "cancelled":
            log.warning("task cancelled", seconds=round(seconds, 3))
        else:
            log.info("task finished", seconds=round(seconds, 3))

    async def _keep(self, message: TaskiqMessage, error: str) -> None:
        if self.failures is None:
            return
        failure = TaskFailure(id=uuid.uuid4().hex, task_id=message.task_id, queue=self.queue,
                              task=message.task_name, kwargs=dict(message.kwargs or {}), error=error,
                              failed_at=datetime.now(UTC))
        try:
            await self.failures.add(failure)
        except Exception:
            log.warning("could not keep the failed task for a retry", exc_info=True)


def install(brokers: dict, failures: TaskFailures | None) -> None:
    """Add the middleware to each queue's broker (once)."""
    for queue, broker in brokers.items():
        if not any(isinstance(m, TaskObservability) for m in broker.middlewares):
            broker.add_middlewares(TaskObservability(queue, failures))
