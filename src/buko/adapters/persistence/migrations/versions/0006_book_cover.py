"""Books keep the cover their author designed (texts, palette, typography, layout).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("books") as books:
        books.add_column(sa.Column("cover", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("books") as books:
        books.drop_column("cover")
