"""Commands: requests to do something, each handled by one use case. Imperative names.

Commands that travel through the task queue name their queue.
"""
from __future__ import annotations

from dataclasses import dataclass, field

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
    """`password` empty makes an account that cannot log in (the CLI's local author)."""

    email: str
    name: str
    role: str = "author"
    password: str = field(default="", repr=False)
    locale: str = "en"


@dataclass(frozen=True)
class LogIn(Command):
    email: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class ChangePassword(Command):
    user_id: str
    current: str = field(repr=False)
    new: str = field(repr=False)


@dataclass(frozen=True)
class UpdateProfile(Command):
    user_id: str
    name: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class CreateApiToken(Command):
    user_id: str
    name: str


@dataclass(frozen=True)
class RevokeApiToken(Command):
    user_id: str
    token_id: str


@dataclass(frozen=True)
class SuspendUser(Command):
    user_id: str
    suspended: bool = True


@dataclass(frozen=True)
class MakeAdmin(Command):
    email: str


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
    """`expected_version` is the version the author edited; a stale one is refused (Conflict)."""

    book_id: str
    architecture: Architecture
    expected_version: int | None = None


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
class RegenerateChunk(Command):
    """Write one finished chunk again; the others keep their text."""

    book_id: str
    index: int


@dataclass(frozen=True)
class DeleteBook(Command):
    book_id: str


@dataclass(frozen=True)
class ExportBook(Command):
    """Render (or find cached) one format of a written book; queued when the book is written.

    `bleed` and `paper` are options of the printer's files (books/print_edition.py says which takes which)."""

    book_id: str
    format: str
    bleed: bool = False
    paper: str = ""
    queue = GENERATION_QUEUE


# Formats rendered ahead of time when a book is written.
EXPORT_FORMATS = ("pdf", "epub", "docx", "md")


@dataclass(frozen=True)
class SendEmail(Command):
    """`mail_id` names a mail kept in the outbox (delivered once, retried until sent); `html` is its HTML part."""

    to: str
    subject: str
    body: str
    html: str = ""
    mail_id: str = ""
    queue = EMAIL_QUEUE


@dataclass(frozen=True)
class ApplyPaymentEvent(Command):
    """Apply a stored, verified gateway event (billing is short work: it rides the high-priority queue)."""

    event_row_id: str
    queue = ARCHITECTURE_QUEUE


QUEUED = {cls.__name__: cls for cls in (PlanBook, WriteChunk, SendEmail, ExportBook, ApplyPaymentEvent)}
