"""Book milestones for the funnel and the books-finished figures: recorded from domain events."""
from __future__ import annotations

import logging

from buko.application.operations.ports import Milestones
from buko.application.ports import Clock
from buko.domain.books import events

log = logging.getLogger(__name__)
EVENTS = {events.BookPlanned: "planned", events.ArchitectureApproved: "approved", events.BookWritten: "written"}


def record_milestones(bus, milestones: Milestones, clock: Clock):
    """Add a handler per milestone event to the message bus (after its own handlers); returns the bus."""
    for kind, milestone in EVENTS.items():
        bus.handlers.setdefault(kind, []).append(_recorder(milestones, clock, milestone))
    return bus


def _recorder(milestones: Milestones, clock: Clock, milestone: str):
    async def record(event) -> None:
        await milestones.reached(event.book_id, milestone, clock.now())

    return record
