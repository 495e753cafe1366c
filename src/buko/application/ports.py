"""Ports: what the use cases need from the outside world. Adapters and test fakes subclass them."""
from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from buko.application.commands import Command
from buko.domain.accounts.credentials import ApiToken, Session
from buko.domain.accounts.user import User
from buko.domain.billing.plans import Subscription
from buko.domain.books.architecture import Architecture
from buko.domain.books.book import Book
from buko.domain.books.brief import Brief
from buko.domain.books.chunks import Chunk
from buko.domain.books.cover import Cover
from buko.domain.books.events import Event
from buko.domain.books.manuscript import Manuscript
from buko.domain.books.usage import Usage


class BookRepository(abc.ABC):
    """Books with their chunks. Books loaded or added are tracked in `seen` and saved on commit."""

    def __init__(self) -> None:
        self.seen: set[Book] = set()

    async def add(self, book: Book) -> None:
        await self._add(book)
        self.seen.add(book)

    async def get(self, book_id: str, *, for_update: bool = False) -> Book | None:
        """Load a book; `for_update` locks it until the transaction ends."""
        book = await self._get(book_id, for_update)
        if book is not None:
            self.seen.add(book)
        return book

    async def outline(self, book_id: str) -> Book | None:
        """The book for showing it: every field but its chunks' texts and summaries, which come back
        empty. Not tracked: a unit of work never saves it. Adapters that can skip the texts do."""
        return await self._get(book_id, False)

    @abc.abstractmethod
    async def _add(self, book: Book) -> None: ...

    @abc.abstractmethod
    async def _get(self, book_id: str, for_update: bool) -> Book | None: ...

    @abc.abstractmethod
    async def list_for_owner(self, owner_id: str) -> list[Book]: ...

    @abc.abstractmethod
    async def count_created_since(self, owner_id: str, since: datetime) -> int: ...

    @abc.abstractmethod
    async def owner_of(self, book_id: str) -> str | None:
        """The owner's id, without loading the book; None when there is no such book."""

    @abc.abstractmethod
    async def summaries(self, *, owner_id: str | None = None, status: str | None = None,
                        offset: int = 0, limit: int = 20) -> tuple[list[BookSummary], int]:
        """A page of books (newest first) without chunk text, and how many there are in all."""

    @abc.abstractmethod
    async def delete(self, book_id: str) -> None: ...


@dataclass(frozen=True)
class BookSummary:
    """What a list of books shows: no chunk text."""

    id: str
    owner_id: str
    title: str
    status: str
    language: str
    words_written: int
    target_words: int
    chunks_done: int
    chunks_total: int
    cost_usd: float
    demo: bool
    failure: str
    created_at: datetime
    updated_at: datetime


class DuplicateKey(Exception):
    """Another row already has this unique key (e.g. an email registered at the same moment)."""


class UserRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, user: User) -> None:
        """Raises DuplicateKey when the email is taken."""

    @abc.abstractmethod
    async def get(self, user_id: str) -> User | None: ...

    @abc.abstractmethod
    async def get_by_email(self, email: str) -> User | None: ...

    @abc.abstractmethod
    async def save(self, user: User) -> None:
        """Write the user's changed fields (email, name, locale, password, role, suspension)."""

    @abc.abstractmethod
    async def search(self, text: str = "", offset: int = 0, limit: int = 20) -> tuple[list[User], int]:
        """Users whose email or name contains `text`, newest first, and how many match in all."""


class SessionRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, session: Session) -> None: ...

    @abc.abstractmethod
    async def get(self, secret_hash: str) -> Session | None: ...

    @abc.abstractmethod
    async def remove(self, secret_hash: str) -> None: ...

    @abc.abstractmethod
    async def remove_all_for(self, user_id: str) -> None: ...


class ApiTokenRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, token: ApiToken) -> None: ...

    @abc.abstractmethod
    async def by_secret(self, secret_hash: str) -> ApiToken | None: ...

    @abc.abstractmethod
    async def list_for(self, user_id: str) -> list[ApiToken]: ...

    @abc.abstractmethod
    async def save(self, token: ApiToken) -> None: ...


class SubscriptionRepository(abc.ABC):
    """A user's subscriptions (a user may have several over time); the SQL one also implements
    application.billing.ports.BillingSubscriptions."""

    @abc.abstractmethod
    async def get_for_user(self, user_id: str) -> Subscription | None:
        """The subscription that decides the user's plan (domain.billing.subscription.governing)."""

    @abc.abstractmethod
    async def save(self, subscription: Subscription) -> None: ...


class UnitOfWork(abc.ABC):
    """One transaction. `async with uow:` rolls back on exit unless `commit()` was awaited."""

    books: BookRepository
    users: UserRepository
    subscriptions: SubscriptionRepository
    sessions: SessionRepository
    tokens: ApiTokenRepository
    # billing and mail (their ports: application/billing/ports.py, application/notifications.py)
    payment_events: object
    invoices: object
    gateway_plans: object
    outbox: object

    async def __aenter__(self) -> UnitOfWork:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.rollback()

    @abc.abstractmethod
    async def commit(self) -> None:
        """Save every book in `books.seen` and commit."""

    @abc.abstractmethod
    async def rollback(self) -> None: ...

    def collect_new_events(self) -> Iterator[Event]:
        for book in self.books.seen:
            while book.events:
                yield book.events.pop(0)


@dataclass(frozen=True)
class ArchitectureRequest:
    brief: Brief
    current: Architecture | None = None
    notes: str = ""


@dataclass(frozen=True)
class ArchitectureResult:
    architecture: Architecture
    usage: Usage


@dataclass(frozen=True)
class ChunkRequest:
    """Everything the writer needs for one chunk (DESIGN.md section 2, writing context)."""

    book_id: str
    brief: Brief
    architecture: Architecture
    chunk: Chunk
    summary_so_far: str
    previous_tail: str
    # Text of this chunk already streamed to watchers (whole sentences) by an attempt that the
    # model's unavailability interrupted: the writer continues it instead of starting over.
    written_so_far: str = ""


@dataclass(frozen=True)
class ChunkResult:
    text: str
    usage: Usage
    summary: str = ""


TextSink = Callable[[str], Awaitable[None]]
RestartSink = Callable[[], Awaitable[None]]


async def no_restart() -> None:
    """The default `on_restart`: nobody to tell."""


class ModelUnavailable(Exception):
    """The model cannot take work now (circuit open, sustained overload): try again later.

    `partial` is the chunk text already shown to watchers (whole sentences), to be passed back as
    `ChunkRequest.written_so_far`; `spent` is what the interrupted calls cost.
    """

    def __init__(self, message: str, retry_after: float, partial: str = "", spent: Usage | None = None):
        super().__init__(message)
        self.retry_after, self.partial = retry_after, partial
        self.spent = spent or Usage()


def spent_on(failure: BaseException) -> Usage:
    """What the model calls behind a failed `architect` or `write` cost: a language model puts the
    usage of calls whose work is thrown away on the exception it raises (`failure.spent`)."""
    spent = getattr(failure, "spent", None)
    return spent if isinstance(spent, Usage) else Usage()


class LanguageModel(abc.ABC):
    """Plans and writes books. `name` labels the text; `demo` is true for non-AI demo text."""

    name: str
    demo: bool

    @abc.abstractmethod
    async def architect(self, request: ArchitectureRequest) -> ArchitectureResult:
        """Plan the book. A failure carries the cost of the calls it made (see `spent_on`)."""

    @abc.abstractmethod
    async def write(self, request: ChunkRequest, on_text: TextSink, on_restart: RestartSink = no_restart) -> ChunkResult:
        """Write one chunk, passing text deltas to `on_text` as they arrive.

        When an attempt breaks mid-stream and starts over, `on_restart` is awaited first, so that
        watchers drop the partial text they were shown. A `ModelUnavailable` keeps that text instead
        (its `partial`); any failure carries the cost of the calls it made (see `spent_on`).
        """

    async def aclose(self) -> None:
        """Release connections; the process is stopping."""


class TaskQueue(abc.ABC):
    """Sends commands to the worker pool of their queue."""

    @abc.abstractmethod
    async def enqueue(self, command: Command) -> None: ...


class LiveEvents(abc.ABC):
    """Per-book stream of progress events. Every event carries `seq` (int, from 1) and `epoch` (str):
    sequence numbers count within an epoch, and a new epoch starts whenever the numbering restarts
    (the store lost its data, or a finished book's buffer was dropped), so a follower holding an old
    (epoch, seq) can tell that its position means nothing any more and re-sync from a snapshot."""

    @abc.abstractmethod
    async def publish(self, book_id: str, event: dict) -> int:
        """Stamp the event with the next `seq` and the current `epoch`, buffer and send it; returns the seq."""

    @abc.abstractmethod
    async def position(self, book_id: str) -> tuple[str, int]:
        """(current epoch, last seq); ("", 0) when nothing was published (or it was all lost)."""

    @abc.abstractmethod
    def subscribe(self, book_id: str, after: int = 0, epoch: str | None = None) -> AsyncIterator[dict]:
        """Events with a sequence number above `after`: the buffered ones, then live ones.

        When `epoch` is given and is not the current one, or the epoch changes while following,
        the stream yields {"type": "resync", "epoch": <current>, "seq": 0} and then every event of
        the current epoch from seq 0: the follower should reload its snapshot (the stored chunks).
        While the store is unreachable it yields {"type": "reconnecting", "epoch", "seq": <last>}
        once and keeps trying; nothing is skipped when it is back."""


class Mailer(abc.ABC):
    @abc.abstractmethod
    async def send(self, to: str, subject: str, body: str, html: str = "", headers: dict | None = None) -> None:
        """Hand one message (a text part, and an HTML alternative when given) to the mail server."""


class Clock(abc.ABC):
    @abc.abstractmethod
    def now(self) -> datetime: ...

    @abc.abstractmethod
    async def sleep(self, seconds: float) -> None: ...


class CoverRenderer(abc.ABC):
    @abc.abstractmethod
    def render(self, manuscript: Manuscript) -> bytes:
        """A cover image (PNG bytes)."""


class CoverAdvisor(abc.ABC):
    """Proposes cover designs for a book (palette, typography, layout) from its synopsis."""

    name: str = ""
    demo: bool = False

    @abc.abstractmethod
    async def suggest(self, title: str, subtitle: str, author: str, synopsis: str, language: str) -> list[Cover]:
        """A few designs, best first; each carries the book's title, subtitle and author."""


class Exporter(abc.ABC):
    """Renders a manuscript to one file format. CPU-bound: callers run it off the event loop."""

    format: str
    extension: str
    media_type: str

    @abc.abstractmethod
    def render(self, manuscript: Manuscript, cover_png: bytes) -> bytes: ...


@dataclass(frozen=True)
class QueueStatus:
    """One queue: tasks never delivered (`waiting`), delivered and not acknowledged (`pending`)."""

    queue: str
    waiting: int
    pending: int
    consumers: int
    live_workers: int
    backend: str


class QueueMonitor(abc.ABC):
    @abc.abstractmethod
    async def status(self) -> list[QueueStatus]: ...


class PasswordHasher(abc.ABC):
    """Slow, salted password hashes (argon2id in production)."""

    @abc.abstractmethod
    def hash(self, password: str) -> str: ...

    @abc.abstractmethod
    def verify(self, password_hash: str, password: str) -> bool:
        """True when `password` matches; never raises for a wrong one."""

    def needs_rehash(self, password_hash: str) -> bool:
        return False


class RateLimiter(abc.ABC):
    """Counts hits per key in moving windows."""

    @abc.abstractmethod
    async def hit(self, rule: str, key: str) -> float | None:
        """Count one hit against `rule` (e.g. "10/minute") for `key`; None when within the limit,
        else the seconds to wait before the next hit is allowed."""


class ArtifactStore(abc.ABC):
    """Where exported files live, keyed by book and file name."""

    @abc.abstractmethod
    async def remove_all(self, book_id: str) -> None:
        """Delete every file of the book (it is being deleted)."""

    @abc.abstractmethod
    async def find(self, book_id: str, name: str) -> str | None:
        """The location of a stored artifact, or None."""

    @abc.abstractmethod
    async def put(self, book_id: str, name: str, data: bytes) -> str: ...
