"""Stateful fakes of the ports, for driving use cases in unit tests."""
from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from buko.application.commands import Command
from buko.application.ports import (
    ApiTokenRepository,
    ArchitectureRequest,
    ArchitectureResult,
    BookRepository,
    BookSummary,
    ChunkRequest,
    ChunkResult,
    Clock,
    LanguageModel,
    LiveEvents,
    Mailer,
    ModelUnavailable,
    PasswordHasher,
    SessionRepository,
    SubscriptionRepository,
    TextSink,
    UnitOfWork,
    UserRepository,
)
from buko.domain.books.architecture import Architecture, Bible, Chapter, Section
from buko.domain.books.usage import Usage


class Store:
    """What the fake database holds between transactions."""

    def __init__(self) -> None:
        self.books: dict = {}
        self.users: dict = {}
        self.subscriptions: dict = {}
        self.sessions: dict = {}
        self.tokens: dict = {}
        self.commits = 0


class FakeBookRepository(BookRepository):
    def __init__(self, store: Store, pending: dict):
        super().__init__()
        self.store, self.pending = store, pending

    async def _add(self, book):
        self.pending[book.id] = book

    async def _get(self, book_id, for_update):
        if book_id not in self.pending and book_id in self.store.books:
            self.pending[book_id] = copy.deepcopy(self.store.books[book_id])
        return self.pending.get(book_id)

    async def list_for_owner(self, owner_id):
        return [copy.deepcopy(b) for b in self.store.books.values() if b.owner_id == owner_id]

    async def count_created_since(self, owner_id, since):
        return sum(1 for b in self.store.books.values() if b.owner_id == owner_id and b.created_at >= since)

    async def owner_of(self, book_id):
        book = self.store.books.get(book_id)
        return book.owner_id if book else None

    async def summaries(self, *, owner_id=None, status=None, offset=0, limit=20):
        found = [b for b in self.store.books.values()
                 if (owner_id is None or b.owner_id == owner_id) and (status is None or b.status.value == status)]
        found.sort(key=lambda b: (b.created_at, b.id), reverse=True)
        page = [
            BookSummary(b.id, b.owner_id, b.title, b.status.value, b.brief.language, b.words_written,
                        b.target_words, sum(c.done for c in b.chunks), len(b.chunks), b.usage.cost_usd, b.demo,
                        b.failure, b.created_at, b.created_at)
            for b in found[offset:offset + limit]
        ]
        return page, len(found)

    async def delete(self, book_id):
        self.store.books.pop(book_id, None)
        self.pending.pop(book_id, None)


class FakeUserRepository(UserRepository):
    def __init__(self, store: Store):
        self.store = store

    async def add(self, user):
        self.store.users[user.id] = user

    async def get(self, user_id):
        user = self.store.users.get(user_id)
        return copy.copy(user) if user else None

    async def get_by_email(self, email):
        return next((copy.copy(u) for u in self.store.users.values() if u.email == email), None)

    async def save(self, user):
        self.store.users[user.id] = copy.copy(user)

    async def search(self, text="", offset=0, limit=20):
        found = [u for u in self.store.users.values() if text.lower() in u.email or text.lower() in u.name.lower()]
        return [copy.copy(u) for u in found[offset:offset + limit]], len(found)


class FakeSessionRepository(SessionRepository):
    def __init__(self, store: Store):
        self.store = store

    async def add(self, session):
        self.store.sessions[session.secret_hash] = session

    async def get(self, secret_hash):
        return self.store.sessions.get(secret_hash)

    async def remove(self, secret_hash):
        self.store.sessions.pop(secret_hash, None)

    async def remove_all_for(self, user_id):
        for key in [k for k, v in self.store.sessions.items() if v.user_id == user_id]:
            del self.store.sessions[key]


class FakeApiTokenRepository(ApiTokenRepository):
    def __init__(self, store: Store):
        self.store = store

    async def add(self, token):
        self.store.tokens[token.id] = token

    async def by_secret(self, secret_hash):
        return next((t for t in self.store.tokens.values() if t.secret_hash == secret_hash), None)

    async def list_for(self, user_id):
        return [t for t in self.store.tokens.values() if t.user_id == user_id]

    async def save(self, token):
        self.store.tokens[token.id] = token


class FakeSubscriptionRepository(SubscriptionRepository):
    def __init__(self, store: Store):
        self.store = store

    async def get_for_user(self, user_id):
        return self.store.subscriptions.get(user_id)

    async def save(self, subscription):
        self.store.subscriptions[subscription.user_id] = subscription


class FakeUnitOfWork(UnitOfWork):
    """Books are copied in on load and copied back on commit, so rollback really discards."""

    def __init__(self, store: Store):
        self.store = store
        self.pending: dict = {}
        self.books = FakeBookRepository(store, self.pending)
        self.users = FakeUserRepository(store)
        self.subscriptions = FakeSubscriptionRepository(store)
        self.sessions = FakeSessionRepository(store)
        self.tokens = FakeApiTokenRepository(store)

    async def commit(self):
        for book_id, book in self.pending.items():
            saved = copy.copy(book)
            saved.events = []
            self.store.books[book_id] = copy.deepcopy(saved)
        self.store.commits += 1

    async def rollback(self):
        self.pending.clear()


class FakeTaskQueue:
    """Records commands; `drain` runs them through the given handlers until none are left."""

    def __init__(self) -> None:
        self.sent: list[Command] = []
        self.waiting: list[Command] = []

    async def enqueue(self, command: Command) -> None:
        self.sent.append(command)
        self.waiting.append(command)

    async def drain(self, handlers: dict, limit: int = 10_000) -> int:
        ran = 0
        while self.waiting and ran < limit:
            command = self.waiting.pop(0)
            handler = handlers.get(type(command))
            if handler is not None:
                await handler(command)
            ran += 1
        return ran


class FakeLiveEvents(LiveEvents):
    def __init__(self) -> None:
        self.published: list[tuple[str, dict]] = []

    async def publish(self, book_id, event):
        self.published.append((book_id, event))
        return len(self.published)

    async def position(self, book_id):
        return ("fake", len(self.published)) if self.published else ("", 0)

    async def subscribe(self, book_id, after=0, epoch=None):
        for seq, (bid, event) in enumerate(self.published, start=1):
            if bid == book_id and seq > after:
                yield {**event, "seq": seq, "epoch": "fake"}

    def of_type(self, kind: str) -> list[dict]:
        return [e for _, e in self.published if e["type"] == kind]


class FakeClock(Clock):
    def __init__(self, now: datetime | None = None):
        self.current = now or datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
        self.slept: list[float] = []

    def now(self):
        return self.current

    def advance(self, **kwargs):
        self.current += timedelta(**kwargs)

    async def sleep(self, seconds):
        self.slept.append(seconds)
        self.advance(seconds=seconds)


class FakeMailer(Mailer):
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def send(self, to, subject, body):
        self.sent.append((to, subject, body))


def sample_architecture(chapters: int = 3, words_per_section: int = 500, sections: int = 2) -> Architecture:
    return Architecture(
        title="The Quiet Garden",
        subtitle="Growing food in small spaces",
        synopsis="A guide.",
        audience="beginners",
        tone="warm",
        language="en",
        style_guide="Short paragraphs.",
        bible=Bible(key_terms=("garden",)),
        chapters=tuple(
            Chapter(
                number=n,
                title=f"Chapter {n}: {name}",
                summary="...",
                sections=tuple(Section(f"Part {s} of {name}", "covers it", words_per_section) for s in range(1, sections + 1)),
            )
            for n, name in zip(range(1, chapters + 1), ["Soil", "Seeds", "Water", "Light", "Harvest", "Rest", "Pests", "Tools"])
        ),
    )


class FakeLanguageModel(LanguageModel):
    """Plans a given architecture and writes `word` repeated to each chunk's budget.

    `fail_writes` holds chunk indexes whose next write raises; `plan_failures` counts planning failures.
    """

    name = "fake-model"
    demo = False

    def __init__(self, architecture: Architecture | None = None):
        self.architecture = architecture or sample_architecture()
        self.fail_writes: set[int] = set()
        self.plan_failures = 0
        self.unavailable = 0
        self.plan_requests: list[ArchitectureRequest] = []
        self.write_requests: list[ChunkRequest] = []

    async def architect(self, request):
        self.plan_requests.append(request)
        if self.plan_failures:
            self.plan_failures -= 1
            raise RuntimeError("model unavailable")
        return ArchitectureResult(self.architecture, Usage(input_tokens=100, output_tokens=50, calls=1, cost_usd=0.01))

    async def write(self, request: ChunkRequest, on_text: TextSink, on_restart=None):
        self.write_requests.append(request)
        if self.unavailable:
            self.unavailable -= 1
            raise ModelUnavailable("circuit open", retry_after=30)
        if request.chunk.index in self.fail_writes:
            self.fail_writes.discard(request.chunk.index)
            raise RuntimeError("stream broke")
        words = [f"w{request.chunk.index}"] * request.chunk.target_words
        for start in range(0, len(words), 100):
            await on_text(" ".join(words[start : start + 100]) + " ")
        usage = Usage(input_tokens=1000, output_tokens=request.chunk.target_words, calls=1, cost_usd=0.02)
        return ChunkResult(" ".join(words), usage, summary=f"after chunk {request.chunk.index}")


class FakePasswordHasher(PasswordHasher):
    """Reversible on purpose: tests see what was hashed; never used outside tests."""

    def hash(self, password):
        return "fake$" + password[::-1]

    def verify(self, password_hash, password):
        return password_hash == self.hash(password)
