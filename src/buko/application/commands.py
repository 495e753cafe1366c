"""Commands: requests to do something, each handled by one use case. Imperative names.

Commands that travel through the task queue name their queue.
"""
from __future__ import annotations

from dataclasses import dataclass

from buko.domain.books.architecture import Architecture
from buko.domain.books.brief import Brief

ARCHITECTURE_QUEUE = "architecture_high"
GENERATION_QUEUE = "book_generation_normal"
EMAIL_QUEUE = "emails_low"
QUEUES = (ARCHITECTURE_QUEUE, GENERATION_QUEUE, EMAIL_QUEUE)


class Command:
    """Base of commands."""


@dataclass(frozen=True)
class RegisterUser(Command):
    email: str
    name: str
    role: str = "author"


@dataclass(frozen=True)
class Subscribe(Command):
    user_id: str
    plan_code: str


@dataclass(frozen=True)
class CreateBook(Command):
    owner_id: str
    brief: Brief


@dataclass(frozen=True)
class PlanBook(Command):
    book_id: str
    notes: str = ""
    queue = ARCHITECTURE_QUEUE


@dataclass(frozen=True)
class ReviseArchitecture(Command):
    book_id: str
    notes: str


@dataclass(frozen=True)
class EditArchitecture(Command):
    book_id: str
    architecture: Architecture


@dataclass(frozen=True)
class ApproveArchitecture(Command):
    book_id: str


@dataclass(frozen=True)
class WriteBook(Command):
    """Start or resume writing with `lanes` chapters in parallel (1 = strictly in order)."""

    book_id: str
    lanes: int = 1


@dataclass(frozen=True)
class ResumeBook(Command):
    """Continue a failed or interrupted book; `takeover` when its previous process is known gone."""

    book_id: str
    lanes: int = 1
    takeover: bool = False


@dataclass(frozen=True)
class WriteChunk(Command):
    book_id: str
    index: int
    queue = GENERATION_QUEUE


@dataclass(frozen=True)
class CancelBook(Command):
    book_id: str


@dataclass(frozen=True)
class ExportBook(Command):
    """Render (or find cached) one format of a written book; queued when the book is written."""

    book_id: str
    format: str
    queue = GENERATION_QUEUE


# Formats rendered ahead of time when a book is written.
EXPORT_FORMATS = ("pdf", "epub", "docx", "md")


@dataclass(frozen=True)
class SendEmail(Command):
    to: str
    subject: str
    body: str
    queue = EMAIL_QUEUE


QUEUED = {cls.__name__: cls for cls in (PlanBook, WriteChunk, SendEmail, ExportBook)}
