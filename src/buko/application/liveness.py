"""The WorkerLiveness port: is the worker that holds a chunk's lease still running?"""
from __future__ import annotations

import abc


class WorkerLiveness(abc.ABC):
    """Workers heartbeat while they run; a worker whose heartbeat stopped has died (kill -9, a lost
    machine), and whatever it held can be taken over at once instead of when its lease runs out."""

    @abc.abstractmethod
    async def alive(self, worker_id: str) -> bool:
        """False only when the worker is known to be gone; True when alive or when it cannot be told."""
