"""In-process live events: per-book sequence numbers, a bounded buffer and fan-out to subscribers."""
from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from buko.application.ports import LiveEvents


@dataclass
class _Channel:
    seq: int = 0
    buffer: deque = field(default_factory=lambda: deque(maxlen=InProcessLiveEvents.BUFFER))
    listeners: set[asyncio.Queue] = field(default_factory=set)


FINAL = {"book_written", "book_failed", "book_cancelled"}


class InProcessLiveEvents(LiveEvents):
    """For one process (the embedded default). A late subscriber replays the buffer, then follows live."""

    BUFFER = 20_000

    def __init__(self) -> None:
        self._channels: dict[str, _Channel] = {}

    async def publish(self, book_id: str, event: dict) -> int:
        channel = self._channels.setdefault(book_id, _Channel())
        channel.seq += 1
        stamped = {**event, "seq": channel.seq}
        channel.buffer.append(stamped)
        for listener in channel.listeners:
            listener.put_nowait(stamped)
        return channel.seq

    async def subscribe(self, book_id: str, after: int = 0) -> AsyncIterator[dict]:
        channel = self._channels.setdefault(book_id, _Channel())
        listener: asyncio.Queue = asyncio.Queue()
        backlog = [e for e in channel.buffer if e["seq"] > after]
        channel.listeners.add(listener)
        try:
            last = after
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
