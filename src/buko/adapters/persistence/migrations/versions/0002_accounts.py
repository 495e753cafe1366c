"""Accounts for the web: passwords, locale, suspension, sessions, API tokens; architecture versions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("locale", sa.String(8), nullable=False, server_default="en"))
        users.add_column(sa.Column("password_hash", sa.String(256), nullable=False, server_default=""))
        users.add_column(sa.Column("suspended", sa.Boolean, nullable=False, server_default=sa.false()))
        users.add_column(sa.Column("email_verified", sa.Boolean, nullable=False, server_default=sa.false()))
    with op.batch_alter_table("books") as books:
        books.add_column(sa.Column("architecture_version", sa.Integer, nullable=False, server_default="0"))
    # Books planned before versions existed start at version 1.
    op.execute("UPDATE books SET architecture_version = 1 WHERE architecture IS NOT NULL")
    op.create_table(
        "sessions",
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("secret_hash", name="pk_sessions"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_sessions_user_id_users", ondelete="CASCADE"),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_api_tokens_user_id_users", ondelete="CASCADE"),
        sa.UniqueConstraint("secret_hash", name="uq_api_tokens_secret_hash"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_index("ix_books_status", "books", ["status"])


def downgrade() -> None:
    op.drop_index("ix_books_status", "books")
    op.drop_table("api_tokens")
    op.drop_table("sessions")
    with op.batch_alter_table("books") as books:
        books.drop_column("architecture_version")
    with op.batch_alter_table("users") as users:
        for column in ("email_verified", "suspended", "password_hash", "locale"):
            users.drop_column(column)
