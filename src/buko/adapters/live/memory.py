"""In-process live events: per-book sequence numbers, a bounded buffer and fan-out to subscribers."""
from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from buko.application.ports import LiveEvents


def new_epoch() -> str:
    return uuid.uuid4().hex[:16]


@dataclass
class _Channel:
    epoch: str = field(default_factory=new_epoch)
    seq: int = 0
    buffer: deque = field(default_factory=lambda: deque(maxlen=InProcessLiveEvents.BUFFER))
    listeners: set[asyncio.Queue] = field(default_factory=set)


FINAL = {"book_written", "book_failed", "book_cancelled"}


class InProcessLiveEvents(LiveEvents):
    """For one process (the embedded default). A late subscriber replays the buffer, then follows live.

    A channel's epoch is made with it; a finished book's channel is dropped once nobody watches,
    so publishing to it again starts a new epoch (and a follower of the old one re-syncs)."""

    BUFFER = 20_000

    def __init__(self) -> None:
        self._channels: dict[str, _Channel] = {}

    async def publish(self, book_id: str, event: dict) -> int:
        channel = self._channels.setdefault(book_id, _Channel())
        channel.seq += 1
        stamped = {**event, "seq": channel.seq, "epoch": channel.epoch}
        channel.buffer.append(stamped)
        for listener in channel.listeners:
            listener.put_nowait(stamped)
        return channel.seq

    async def position(self, book_id: str) -> tuple[str, int]:
        channel = self._channels.get(book_id)
        return (channel.epoch, channel.seq) if channel and channel.seq else ("", 0)

    async def buffered(self, book_id: str, after: int = 0, upto: int | None = None) -> list[dict]:
        """Buffered events with `after` < seq (<= `upto`), in order. The web process's live hub
        (adapters/live/hub.py) reads backlogs with it, as it does RedisLiveEvents.buffered."""
        channel = self._channels.get(book_id)
        if channel is None:
            return []
        return [e for e in channel.buffer if e["seq"] > after and (upto is None or e["seq"] <= upto)]

    async def subscribe(self, book_id: str, after: int = 0, epoch: str | None = None) -> AsyncIterator[dict]:
        channel = self._channels.setdefault(book_id, _Channel())
        listener: asyncio.Queue = asyncio.Queue()
        current = channel.epoch if channel.seq else ""
        stale = (epoch is not None and epoch != current) or (epoch is None and after > channel.seq)
        last = 0 if stale else after
        backlog = [e for e in channel.buffer if e["seq"] > last]
        channel.listeners.add(listener)
        try:
            if stale:
                yield {"type": "resync", "epoch": current, "seq": 0}
            for event in backlog:
                last = event["seq"]
                yield event
            while True:
                event = await listener.get()
                if event["seq"] > last:
                    last = event["seq"]
                    yield event
        finally:
            channel.listeners.discard(listener)
            # A finished book's buffer is dropped once nobody watches it, so memory stays bounded.
            if not channel.listeners and channel.buffer and channel.buffer[-1]["type"] in FINAL:
                self._channels.pop(book_id, None)
