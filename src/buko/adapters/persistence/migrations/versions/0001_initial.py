"""Users, subscriptions, books and their chunks.

Revision ID: 0001
Revises:
Create Date: 2025-11-25
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        when("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "subscriptions",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("plan_code", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        when("started_at"),
        sa.PrimaryKeyConstraint("user_id", name="pk_subscriptions"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_subscriptions_user_id_users",
                                ondelete="CASCADE"),
    )
    op.create_table(
        "books",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("brief", sa.JSON(), nullable=False),
        sa.Column("architecture", sa.JSON(), nullable=True),
        sa.Column("lanes", sa.Integer(), nullable=False),
        sa.Column("writer", sa.String(120), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("planning_usage", sa.JSON(), nullable=False),
        sa.Column("revision_notes", sa.Text(), nullable=False),
        sa.Column("failure", sa.Text(), nullable=False),
        when("created_at"),
        when("updated_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_books"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_books_owner_id_users"),
    )
    op.create_index("ix_books_owner_id_created_at", "books", ["owner_id", "created_at"])
    op.create_table(
        "chunks",
        sa.Column("book_id", sa.String(64), nullable=False),
        sa.Column("index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("chapter_number", sa.Integer(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("actual_words", sa.Integer(), nullable=False),
        sa.Column("usage", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("lease_owner", sa.String(200), nullable=False),
        when("lease_until", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("book_id", "index", name="pk_chunks"),
        sa.ForeignKeyConstraint(["book_id"], ["books.id"], name="fk_chunks_book_id_books", ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("chunks")
    op.drop_index("ix_books_owner_id_created_at", table_name="books")
    op.drop_table("books")
    op.drop_table("subscriptions")
    op.drop_table("users")
