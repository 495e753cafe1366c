"""The tables, and explicit mapping between their rows and the domain's objects."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from buko.domain.accounts.credentials import ApiToken, Session
from buko.domain.accounts.user import Role, User
from buko.domain.billing.plans import Subscription, SubscriptionStatus
from buko.domain.books.architecture import Architecture
from buko.domain.books.book import Book, BookStatus
from buko.domain.books.brief import Brief
from buko.domain.books.chunks import Chunk, ChunkPart, ChunkStatus
from buko.domain.books.cover import Cover
from buko.domain.books.quality import QualityReport
from buko.domain.books.usage import Usage


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no offset: naive means UTC)."""

    impl = sa.DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Named constraints, so that later batch migrations on SQLite can address them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = sa.MetaData(naming_convention=NAMING)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("locale", sa.String(8), nullable=False, server_default="en"),
    sa.Column("password_hash", sa.String(256), nullable=False, server_default=""),
    sa.Column("suspended", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("email_verified", sa.Boolean, nullable=False, server_default=sa.false()),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("secret_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_used_at", UTCDateTime(), nullable=True),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("plan_code", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("interval", sa.String(8), nullable=False, server_default="month"),
    sa.Column("gateway", sa.String(16), nullable=False, server_default="manual"),
    sa.Column("gateway_ref", sa.String(128), nullable=True),
    sa.Column("currency", sa.String(3), nullable=False, server_default=""),
    sa.Column("amount", sa.Integer, nullable=False, server_default="0"),
    sa.Column("current_period_end", UTCDateTime(), nullable=True),
    sa.Column("grace_until", UTCDateTime(), nullable=True),
    sa.Column("ended_at", UTCDateTime(), nullable=True),
    sa.Column("last_event_at", UTCDateTime(), nullable=True),
    sa.UniqueConstraint("gateway", "gateway_ref", name="uq_subscriptions_gateway_ref"),
    sa.Index("ix_subscriptions_status", "status"),
)

payment_events = sa.Table(
    "payment_events",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("gateway", sa.String(16), nullable=False),
    sa.Column("event_id", sa.String(128), nullable=False),
    sa.Column("event_type", sa.String(80), nullable=False),
    sa.Column("resource_id", sa.String(128), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("received_at", UTCDateTime(), nullable=False),
    sa.Column("applied_at", UTCDateTime(), nullable=True),
    sa.Column("outcome", sa.Text, nullable=False, server_default=""),
    sa.UniqueConstraint("gateway", "event_id", name="uq_payment_events_gateway_event_id"),
)

invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("subscription_id", sa.String(64), nullable=False),
    sa.Column("gateway", sa.String(16), nullable=False),
    sa.Column("payment_id", sa.String(128), nullable=False),
    sa.Column("plan_code", sa.String(32), nullable=False),
    sa.Column("amount", sa.Integer, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("period_end", UTCDateTime(), nullable=True),
    sa.UniqueConstraint("gateway", "payment_id", name="uq_invoices_gateway_payment_id"),
)

gateway_plans = sa.Table(
    "gateway_plans",
    metadata,
    sa.Column("gateway", sa.String(16), primary_key=True),
    sa.Column("plan_code", sa.String(32), primary_key=True),
    sa.Column("interval", sa.String(8), primary_key=True),
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("remote_id", sa.String(128), nullable=False),
)

mail_outbox = sa.Table(
    "mail_outbox",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(200), nullable=False, unique=True),
    sa.Column("to", sa.String(254), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("locale", sa.String(8), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("html", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
    sa.Column("lease_until", UTCDateTime(), nullable=True),
    sa.Column("last_error", sa.Text, nullable=False),
    sa.Column("sent_at", UTCDateTime(), nullable=True),
    sa.Index("ix_mail_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)

books = sa.Table(
    "books",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("owner_id", sa.String(64), sa.ForeignKey("users.id"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("brief", sa.JSON, nullable=False),
    sa.Column("architecture", sa.JSON, nullable=True),
    sa.Column("lanes", sa.Integer, nullable=False),
    sa.Column("writer", sa.String(120), nullable=False),
    sa.Column("demo", sa.Boolean, nullable=False),
    sa.Column("planning_usage", sa.JSON, nullable=False),
    sa.Column("revision_notes", sa.Text, nullable=False),
    sa.Column("failure", sa.Text, nullable=False),
    sa.Column("planning_note", sa.Text, nullable=False, server_default=""),
    sa.Column("quality", sa.JSON, nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("architecture_version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cover", sa.JSON, nullable=True),
    sa.Index("ix_books_owner_id_created_at", "owner_id", "created_at"),
    sa.Index("ix_books_status", "status"),
)

chunks = sa.Table(
    "chunks",
    metadata,
    sa.Column("book_id", sa.String(64), sa.ForeignKey("books.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("index", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("chapter_number", sa.Integer, nullable=False),
    sa.Column("parts", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("actual_words", sa.Integer, nullable=False),
    sa.Column("usage", sa.JSON, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("lease_owner", sa.String(200), nullable=False),
    sa.Column("lease_until", UTCDateTime(), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("lost_workers", sa.JSON, nullable=False, server_default="[]"),
)


# -- books ----------------------------------------------------------------
def book_row(book: Book) -> dict:
    """The books row of `book`, without the bookkeeping columns (updated_at, version)."""
    return {
        "id": book.id,
        "owner_id": book.owner_id,
        "status": book.status.value,
        "brief": book.brief.as_dict(),
        "architecture": book.architecture.as_dict() if book.architecture else None,
        "lanes": book.lanes,
        "writer": book.writer,
        "demo": book.demo,
        "planning_usage": book.planning_usage.as_dict(),
        "revision_notes": book.revision_notes,
        "failure": book.failure,
        "planning_note": book.planning_note,
        "quality": book.quality.as_dict() if book.quality else None,
        "created_at": book.created_at,
        "architecture_version": book.architecture_version,
        "cover": book.cover.as_dict() if book.cover else None,
    }


def chunk_row(book_id: str, chunk: Chunk) -> dict:
    return {
        "book_id": book_id,
        "index": chunk.index,
        "chapter_number": chunk.chapter_number,
        "parts": [asdict(part) for part in chunk.parts],
        "status": chunk.status.value,
        "text": chunk.text,
        "actual_words": chunk.actual_words,
        "usage": chunk.usage.as_dict(),
        "summary": chunk.summary,
        "lease_owner": chunk.lease_owner,
        "lease_until": chunk.lease_until,
        "attempts": chunk.attempts,
        "lost_workers": [[worker, at.isoformat()] for worker, at in chunk.lost_workers],
    }


def chunk_from_row(row: Mapping) -> Chunk:
    return Chunk(
        index=row["index"],
        chapter_number=row["chapter_number"],
        parts=tuple(ChunkPart(**part) for part in row["parts"]),
        status=ChunkStatus(row["status"]),
        text=row["text"],
        actual_words=row["actual_words"],
        usage=Usage.from_dict(row["usage"]),
        summary=row["summary"],
        lease_owner=row["lease_owner"],
        lease_until=row["lease_until"],
        attempts=row["attempts"],
        lost_workers=tuple((worker, datetime.fromisoformat(at)) for worker, at in row["lost_workers"] or ()),
    )


def book_from_rows(row: Mapping, chunk_rows: Iterable[Mapping]) -> Book:
    return Book(
        id=row["id"],
        owner_id=row["owner_id"],
        brief=Brief.from_dict(row["brief"]),
        created_at=row["created_at"],
        status=BookStatus(row["status"]),
        architecture=Architecture.from_dict(row["architecture"]) if row["architecture"] is not None else None,
        chunks=[chunk_from_row(c) for c in sorted(chunk_rows, key=lambda c: c["index"])],
        lanes=row["lanes"],
        writer=row["writer"],
        demo=row["demo"],
        planning_usage=Usage.from_dict(row["planning_usage"]),
        revision_notes=row["revision_notes"],
        failure=row["failure"],
        planning_note=row["planning_note"],
        quality=QualityReport.from_dict(row["quality"]),
        architecture_version=row["architecture_version"],
        cover=Cover.from_dict(row.get("cover")),
    )


# -- accounts and billing ---------------------------------------------------
def user_row(user: User) -> dict:
    return {"id": user.id, "email": user.email, "name": user.name, "role": user.role.value,
            "created_at": user.created_at, "locale": user.locale, "password_hash": user.password_hash,
            "suspended": user.suspended, "email_verified": user.email_verified}


def user_from_row(row: Mapping) -> User:
    return User(id=row["id"], email=row["email"], name=row["name"], role=Role(row["role"]),
                created_at=row["created_at"], locale=row["locale"], password_hash=row["password_hash"],
                suspended=row["suspended"], email_verified=row["email_verified"])


def session_row(session: Session) -> dict:
    return asdict(session)


def session_from_row(row: Mapping) -> Session:
    return Session(**{k: row[k] for k in ("secret_hash", "user_id", "csrf_token", "created_at", "expires_at")})


def token_row(token: ApiToken) -> dict:
    return asdict(token)


def token_from_row(row: Mapping) -> ApiToken:
    return ApiToken(**{k: row[k] for k in ("id", "user_id", "name", "secret_hash", "created_at", "last_used_at",
                                           "revoked_at")})


SUBSCRIPTION_FIELDS = ("id", "user_id", "plan_code", "started_at", "interval", "gateway", "currency", "amount",
                       "current_period_end", "grace_until", "ended_at", "last_event_at")


def subscription_row(subscription: Subscription) -> dict:
    row = {name: getattr(subscription, name) for name in SUBSCRIPTION_FIELDS}
    row.update(status=subscription.status.value, gateway_ref=subscription.gateway_ref or None)
    return row


def subscription_from_row(row: Mapping) -> Subscription:
    return Subscription(status=SubscriptionStatus(row["status"]), gateway_ref=row["gateway_ref"] or "",
                        **{name: row[name] for name in SUBSCRIPTION_FIELDS})


# The operations context's tables (model calls, milestones, audit log, failed tasks) share this metadata.
from buko.adapters.persistence import ops_tables  # noqa: E402,F401
