"""Ports of the operations context: ledgers the adapters write and the admin pages read."""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import date, datetime

MILESTONES = ("planned", "approved", "written", "downloaded")


@dataclass(frozen=True)
class ModelCall:
    """One call of the LanguageModel port: a plan or a chunk (with its retries and continuations)."""

    id: str
    at: datetime
    model: str
    kind: str  # "plan" | "chunk"
    outcome: str  # "ok" | "unavailable" | "error"
    seconds: float
    book_id: str = ""
    chunk_index: int | None = None
    first_token_seconds: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    thinking_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    api_requests: int = 0
    words: int = 0
    error: str = ""


class ModelCallLedger(abc.ABC):
    @abc.abstractmethod
    async def record(self, call: ModelCall) -> None: ...

    @abc.abstractmethod
    async def recent_failures(self, limit: int = 20) -> list[ModelCall]:
        """The newest calls whose outcome is not "ok"."""


class Milestones(abc.ABC):
    """When a book first reached planned, approved, written, downloaded (kept once per book)."""

    @abc.abstractmethod
    async def reached(self, book_id: str, milestone: str, at: datetime) -> None: ...


@dataclass(frozen=True)
class AuditEntry:
    id: str
    at: datetime
    actor_id: str
    actor_email: str
    action: str
    target_type: str
    target_id: str
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    outcome: int = 200
    details: dict = field(default_factory=dict)


class AuditTrail(abc.ABC):
    """Append-only: entries are added and read, never changed (the database refuses it too)."""

    @abc.abstractmethod
    async def add(self, entry: AuditEntry) -> None: ...

    @abc.abstractmethod
    async def page(self, offset: int = 0, limit: int = 50, action: str = "") -> tuple[list[AuditEntry], int]:
        """Newest first, and how many there are."""


@dataclass(frozen=True)
class TaskFailure:
    id: str
    task_id: str
    queue: str
    task: str
    kwargs: dict
    error: str
    failed_at: datetime
    retried_at: datetime | None = None
    retried_by: str = ""


class TaskFailures(abc.ABC):
    @abc.abstractmethod
    async def add(self, failure: TaskFailure) -> None: ...

    @abc.abstractmethod
    async def get(self, failure_id: str) -> TaskFailure | None: ...

    @abc.abstractmethod
    async def recent(self, limit: int = 50) -> list[TaskFailure]: ...

    @abc.abstractmethod
    async def mark_retried(self, failure_id: str, by: str, at: datetime) -> bool:
        """False when it was retried already (two admins pressing the button retry once)."""


@dataclass(frozen=True)
class DailyFigures:
    day: date
    books_started: int = 0
    books_finished: int = 0
    words: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class AnalyticsFigures:
    """Read from the database for [since, until)."""

    days: list[DailyFigures]
    cost_by_model: dict[str, float]
    revenue: list[dict]  # {"currency", "plan", "gateway", "amount" (minor units), "payments"}
    active_subscriptions: list[dict]  # {"plan", "gateway", "count"}
    funnel: dict[str, int]  # registered, planned, approved, written, downloaded
    chunk_seconds: list[float]  # every successful chunk call's latency, for percentiles
    tokens_per_second: dict[str, float]  # output tokens / generation seconds, by model
    books_by_status: dict[str, int] = field(default_factory=dict)


class AnalyticsReader(abc.ABC):
    @abc.abstractmethod
    async def figures(self, since: datetime, until: datetime) -> AnalyticsFigures: ...

    @abc.abstractmethod
    async def books_by_status(self) -> dict[str, int]: ...


@dataclass(frozen=True)
class CircuitStatus:
    model: str
    circuit: str
    state: str  # "closed" | "half-opened" | "opened" | "none"
    failures: int = 0
    opened_at: float | None = None
    reopens_in: float | None = None


@dataclass(frozen=True)
class Headroom:
    """What is left of a per-minute budget."""

    name: str
    limit: int
    remaining: int
    resets_in: float


class ModelStatus(abc.ABC):
    """The model's circuit breaker and client-side limits, as the model adapter sees them."""

    @abc.abstractmethod
    async def circuits(self) -> list[CircuitStatus]: ...

    @abc.abstractmethod
    async def headroom(self) -> list[Headroom]: ...

    @abc.abstractmethod
    async def reset(self, circuit: str) -> CircuitStatus | None:
        """Close the circuit now; None when there is no such circuit."""


@dataclass(frozen=True)
class ConsumerInfo:
    name: str
    pending: int
    idle_seconds: float
    alive: bool  # its heartbeat is there


@dataclass(frozen=True)
class InFlightTask:
    queue: str
    task: str
    consumer: str
    age_seconds: float  # since it was queued
    idle_seconds: float  # since it was last delivered
    book_id: str = ""
    index: int | None = None
    task_id: str = ""


@dataclass(frozen=True)
class QueueDetail:
    queue: str
    backend: str
    waiting: int
    pending: int
    consumers: list[ConsumerInfo]
    in_flight: list[InFlightTask]


class QueueDetails(abc.ABC):
    """The Flower view: each queue's consumers with their heartbeat, and the tasks in flight with their age."""

    @abc.abstractmethod
    async def details(self) -> list[QueueDetail]: ...
