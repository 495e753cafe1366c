"""Bodies of the admin operations API: analytics, queues in detail, failed tasks, the model, the audit log."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from buko.entrypoints.http.schemas import AdminBookOut, UserOut


class RangeQuery(BaseModel):
    range: Literal["24h", "7d", "30d"] = "7d"


class DayOut(BaseModel):
    day: str
    books_started: int
    books_finished: int
    words: int
    input_tokens: int
    output_tokens: int
    tokens: int
    cost_usd: float


class FunnelStepOut(BaseModel):
    step: str
    users: int


class LatencyOut(BaseModel):
    count: int
    p50: float | None
    p95: float | None


class AnalyticsOut(BaseModel):
    range: str
    since: datetime
    until: datetime
    days: list[DayOut]
    totals: dict[str, int | float]
    cost_by_model: dict[str, float]
    revenue: list[dict[str, Any]]
    active_subscriptions: list[dict[str, Any]]
    funnel: list[FunnelStepOut]
    chunk_latency: LatencyOut
    tokens_per_second: dict[str, float]
    books_by_status: dict[str, int]


class ConsumerOut(BaseModel):
    name: str
    pending: int
    idle_seconds: float
    alive: bool


class InFlightOut(BaseModel):
    queue: str
    task: str
    consumer: str
    age_seconds: float
    idle_seconds: float
    book_id: str
    index: int | None
    task_id: str


class QueueDetailOut(BaseModel):
    queue: str
    backend: str
    waiting: int
    pending: int
    consumers: list[ConsumerOut]
    in_flight: list[InFlightOut]


class FailedTaskOut(BaseModel):
    id: str
    task_id: str
    queue: str
    task: str
    kwargs: dict[str, Any]
    error: str
    failed_at: datetime
    retried_at: datetime | None
    retried_by: str


class QueuesDetailOut(BaseModel):
    queues: list[QueueDetailOut]
    failed: list[FailedTaskOut]
    open_sockets: int


class FailedTasksOut(BaseModel):
    failed: list[FailedTaskOut]


class CircuitOut(BaseModel):
    model: str
    circuit: str
    state: str
    failures: int
    opened_at: float | None
    reopens_in: float | None


class HeadroomOut(BaseModel):
    name: str
    limit: int
    remaining: int
    resets_in: float


class ModelCallOut(BaseModel):
    at: datetime
    model: str
    kind: str
    outcome: str
    seconds: float
    book_id: str
    chunk_index: int | None
    error: str


class ModelOut(BaseModel):
    model: str
    demo: bool
    circuits: list[CircuitOut]
    headroom: list[HeadroomOut]
    recent_errors: list[ModelCallOut]


class AuditQuery(BaseModel):
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=500)
    action: str = Field("", max_length=80)


class AuditEntryOut(BaseModel):
    id: str
    at: datetime
    actor_id: str
    actor_email: str
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any]
    after: dict[str, Any]
    outcome: int
    details: dict[str, Any]


class AuditPageOut(BaseModel):
    entries: list[AuditEntryOut]
    total: int
    offset: int
    limit: int


class UserDetailOut(BaseModel):
    user: UserOut
    plan: str
    subscription_status: str
    books: list[AdminBookOut]
    books_total: int
    spend_usd: float
    words_written: int
