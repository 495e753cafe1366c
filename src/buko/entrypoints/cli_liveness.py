"""Is anybody working on a book that says `planning` or `writing`? If not, it is `interrupted`.

Without Redis the work runs inside the process that queued it (`buko write`, `buko serve`): each such
process holds a shared lock on BUKO_DATA_DIR/work.lock for its lifetime, and the operating system
drops the lock when the process dies, even on kill -9. With Redis, the work belongs to the
`buko worker` processes: a book is interrupted when no live worker consumes its queue.
"""
from __future__ import annotations

import fcntl
from pathlib import Path

from buko.application.commands import ARCHITECTURE_QUEUE, GENERATION_QUEUE

LOCK = "work.lock"
QUEUE_OF = {"planning": ARCHITECTURE_QUEUE, "writing": GENERATION_QUEUE}
_held: list = []


def hold_work_lock(data_dir: Path) -> None:
    """Say, for as long as this process lives, that it runs in-process work."""
    if _held:
        return
    path = Path(data_dir) / LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+b")  # kept open on purpose: the lock lives as long as the process
    fcntl.flock(handle, fcntl.LOCK_SH)
    _held.append(handle)


def someone_works_here(data_dir: Path) -> bool:
    """True when a live process holds the work lock (this process, too, if it holds it)."""
    path = Path(data_dir) / LOCK
    if not path.exists():
        return False
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


class Liveness:
    """Tells a stored status from what is really happening: `writing` with nobody at work is `interrupted`."""

    def __init__(self, settings, redis=None):
        self.settings, self.redis = settings, redis
        self._workers: dict[str, bool] = {}

    async def _queue_alive(self, queue: str) -> bool:
        if queue not in self._workers:
            from redis.exceptions import RedisError

            from buko.adapters.queue.inspect import QueueInspector

            try:
                inspector = QueueInspector(self.redis, self.settings.redis_prefix)
                self._workers[queue] = bool(await inspector.live_workers(queue))
            except (OSError, RedisError):  # Redis down: say what is stored rather than guess
                self._workers[queue] = True
        return self._workers[queue]

    async def state(self, status: str) -> str:
        if status not in QUEUE_OF:
            return status
        if self.settings.redis_url and self.redis is not None:
            alive = await self._queue_alive(QUEUE_OF[status])
        else:
            alive = someone_works_here(self.settings.data_dir)
        return status if alive else "interrupted"
