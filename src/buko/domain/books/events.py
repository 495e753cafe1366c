"""Things that happened to a book. Handlers react to them after the transaction commits."""
from __future__ import annotations

from dataclasses import dataclass


class Event:
    """Base of domain events."""


@dataclass(frozen=True)
class PlanningRequested(Event):
    book_id: str
    notes: str = ""


@dataclass(frozen=True)
class BookPlanned(Event):
    book_id: str


@dataclass(frozen=True)
class RevisionFailed(Event):
    book_id: str
    reason: str


@dataclass(frozen=True)
class ArchitectureApproved(Event):
    book_id: str
    chunks: int


@dataclass(frozen=True)
class ChunkQueued(Event):
    book_id: str
    index: int


@dataclass(frozen=True)
class ChunkRegenerating(Event):
    book_id: str
    index: int


@dataclass(frozen=True)
class ChunkWritten(Event):
    book_id: str
    index: int
    words: int


@dataclass(frozen=True)
class BookWritten(Event):
    book_id: str
    owner_id: str


@dataclass(frozen=True)
class BookFailed(Event):
    book_id: str
    reason: str


@dataclass(frozen=True)
class BookCancelled(Event):
    book_id: str
