"""A download: the cached file when it is ready, else its rendering is queued (the caller polls)."""
from __future__ import annotations

import time

from buko.application.books.exporting import ExportBookHandler
from buko.application.commands import ExportBook
from buko.application.ports import TaskQueue

REQUEUE_AFTER = 120.0  # seconds: a rendering asked for again after this is queued again (it may be lost)
# File name -> when its rendering was queued by this process: polling does not queue it again.
_QUEUED: dict[str, float] = {}


class RequestExport:
    def __init__(self, export: ExportBookHandler, queue: TaskQueue):
        self.export, self.queue = export, queue

    async def __call__(self, cmd: ExportBook) -> str | None:
        """The file's location, or None after queueing its rendering once (ask again shortly)."""
        name, found = await self.export.cached(cmd)
        key = f"{cmd.book_id}/{name}"
        if found is not None:
            _QUEUED.pop(key, None)
            return found
        now = time.monotonic()
        if now - _QUEUED.get(key, -REQUEUE_AFTER) >= REQUEUE_AFTER:
            if len(_QUEUED) > 10_000:
                _QUEUED.clear()
            _QUEUED[key] = now
            await self.queue.enqueue(cmd)
        return None
