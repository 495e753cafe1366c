"""Books keep their quality report and a note of what planning changed (budgets scaled).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("books") as books:
        books.add_column(sa.Column("planning_note", sa.Text, nullable=False, server_default=""))
        books.add_column(sa.Column("quality", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("books") as books:
        books.drop_column("quality")
        books.drop_column("planning_note")
