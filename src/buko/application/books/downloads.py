"""A download: the cached file when it is ready, else its rendering is queued (the caller polls)."""
from __future__ import annotations

from buko.application.books.exporting import ExportBookHandler
from buko.application.commands import ExportBook
from buko.application.ports import TaskQueue


class RequestExport:
    def __init__(self, export: ExportBookHandler, queue: TaskQueue):
        self.export, self.queue = export, queue

    async def __call__(self, cmd: ExportBook) -> str | None:
        """The file's location, or None after queueing its rendering (ask again shortly)."""
        found = await self.export.cached(cmd)
        if found is None:
            await self.queue.enqueue(cmd)
        return found
