"""Tasks that raised in a worker: listed for the admin, who may send one back to its queue."""
from __future__ import annotations

from buko.application.commands import QUEUED, Command
from buko.application.operations.ports import TaskFailure, TaskFailures
from buko.application.ports import Clock, TaskQueue
from buko.domain.errors import Conflict, NotFound


def command_for(task: str, kwargs: dict) -> Command:
    """The command a queued task carried ("buko.write_chunk" with its arguments -> WriteChunk)."""
    name = "".join(part.capitalize() for part in task.rsplit(".", 1)[-1].split("_"))
    kind = QUEUED.get(name)
    if kind is None:
        raise NotFound(f"no queued command for the task {task!r}")
    return kind(**kwargs)


class FailedTasks:
    def __init__(self, failures: TaskFailures, queue: TaskQueue, clock: Clock):
        self.failures, self.queue, self.clock = failures, queue, clock

    async def recent(self, limit: int = 50) -> list[TaskFailure]:
        return await self.failures.recent(limit)

    async def get(self, failure_id: str) -> TaskFailure:
        found = await self.failures.get(failure_id)
        if found is None:
            raise NotFound("no such failed task")
        return found

    async def retry(self, failure_id: str, by: str) -> TaskFailure:
        """Queue the task again with the same arguments, once."""
        failure = await self.get(failure_id)
        command = command_for(failure.task, failure.kwargs)
        if not await self.failures.mark_retried(failure_id, by, self.clock.now()):
            raise Conflict("this task was retried already")
        await self.queue.enqueue(command)
        return await self.get(failure_id)
