"""Chunks remember the workers that died holding them (for the "lost too many workers" rule).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chunks") as chunks:
        chunks.add_column(sa.Column("lost_workers", sa.JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("chunks") as chunks:
        chunks.drop_column("lost_workers")
