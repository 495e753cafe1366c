"""Tables of the operations context: model calls, book milestones, the audit log, failed tasks.

They share tables.metadata (tables.py imports this module at its end), so migrations and the
metadata-versus-migrations test see them.
"""
from __future__ import annotations

import sqlalchemy as sa

from buko.adapters.persistence.tables import UTCDateTime, metadata

model_calls = sa.Table(
    "model_calls",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("at", UTCDateTime(), nullable=False, index=True),
    sa.Column("model", sa.String(120), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("book_id", sa.String(64), nullable=False, index=True),
    sa.Column("chunk_index", sa.Integer, nullable=True),
    sa.Column("first_token_seconds", sa.Float, nullable=True),
    sa.Column("input_tokens", sa.BigInteger, nullable=False),
    sa.Column("output_tokens", sa.BigInteger, nullable=False),
    sa.Column("thinking_tokens", sa.BigInteger, nullable=False),
    sa.Column("cache_read_tokens", sa.BigInteger, nullable=False),
    sa.Column("cache_write_tokens", sa.BigInteger, nullable=False),
    sa.Column("cost_usd", sa.Float, nullable=False),
    sa.Column("api_requests", sa.Integer, nullable=False),
    sa.Column("words", sa.Integer, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
)

book_milestones = sa.Table(
    "book_milestones",
    metadata,
    sa.Column("book_id", sa.String(64), primary_key=True),
    sa.Column("milestone", sa.String(16), primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("at", UTCDateTime(), nullable=False, index=True),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("at", UTCDateTime(), nullable=False, index=True),
    sa.Column("actor_id", sa.String(64), nullable=False),
    sa.Column("actor_email", sa.String(254), nullable=False),
    sa.Column("action", sa.String(80), nullable=False, index=True),
    sa.Column("target_type", sa.String(32), nullable=False),
    sa.Column("target_id", sa.String(128), nullable=False),
    sa.Column("before", sa.JSON, nullable=False),
    sa.Column("after", sa.JSON, nullable=False),
    sa.Column("outcome", sa.Integer, nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
)

task_failures = sa.Table(
    "task_failures",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("task_id", sa.String(64), nullable=False),
    sa.Column("queue", sa.String(40), nullable=False),
    sa.Column("task", sa.String(80), nullable=False),
    sa.Column("kwargs", sa.JSON, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("failed_at", UTCDateTime(), nullable=False, index=True),
    sa.Column("retried_at", UTCDateTime(), nullable=True),
    sa.Column("retried_by", sa.String(64), nullable=False),
)
