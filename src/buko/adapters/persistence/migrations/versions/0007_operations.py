"""Operations: model calls, book milestones, the append-only audit log, failed tasks.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from buko.adapters.persistence.tables import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

APPEND_ONLY_PG = (  # one statement per execute: asyncpg prepares each
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
)


def upgrade() -> None:
    op.create_table(
        "model_calls",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("model", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("book_id", sa.String(64), nullable=False),
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
    op.create_index("ix_model_calls_at", "model_calls", ["at"])
    op.create_index("ix_model_calls_book_id", "model_calls", ["book_id"])
    op.create_table(
        "book_milestones",
        sa.Column("book_id", sa.String(64), primary_key=True),
        sa.Column("milestone", sa.String(16), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_book_milestones_user_id", "book_milestones", ["user_id"])
    op.create_index("ix_book_milestones_at", "book_milestones", ["at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("actor_email", sa.String(254), nullable=False),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("target_type", sa.String(32), nullable=False),
        sa.Column("target_id", sa.String(128), nullable=False),
        sa.Column("before", sa.JSON, nullable=False),
        sa.Column("after", sa.JSON, nullable=False),
        sa.Column("outcome", sa.Integer, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_table(
        "task_failures",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("queue", sa.String(40), nullable=False),
        sa.Column("task", sa.String(80), nullable=False),
        sa.Column("kwargs", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("failed_at", UTCDateTime(), nullable=False),
        sa.Column("retried_at", UTCDateTime(), nullable=True),
        sa.Column("retried_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_task_failures_failed_at", "task_failures", ["failed_at"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in APPEND_ONLY_PG:
            op.execute(statement)
    else:
        for when in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{when.lower()} BEFORE {when} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    for name in ("task_failures", "audit_log", "book_milestones", "model_calls"):
        op.drop_table(name)
