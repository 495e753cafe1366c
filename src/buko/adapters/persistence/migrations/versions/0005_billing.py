"""Billing and mail: subscriptions over time (with their gateway and paid period), gateway events,
invoices, gateway plans, the mail outbox.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    bind = op.get_bind()
    # The subscriptions table changes its key (one row per subscription, not per user): copy the rows across.
    old = bind.execute(sa.text("SELECT user_id, plan_code, status, started_at FROM subscriptions")).mappings().all()
    op.drop_table("subscriptions")
    table = op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("plan_code", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _when("started_at"),
        sa.Column("interval", sa.String(8), nullable=False, server_default="month"),
        sa.Column("gateway", sa.String(16), nullable=False, server_default="manual"),
        sa.Column("gateway_ref", sa.String(128), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False, server_default=""),
        sa.Column("amount", sa.Integer, nullable=False, server_default="0"),
        _when("current_period_end", True),
        _when("grace_until", True),
        _when("ended_at", True),
        _when("last_event_at", True),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_subscriptions_user_id_users", ondelete="CASCADE"),
        sa.UniqueConstraint("gateway", "gateway_ref", name="uq_subscriptions_gateway_ref"),
    )
    op.create_index("ix_subscriptions_user_id", "subscriptions", ["user_id"])
    op.create_index("ix_subscriptions_status", "subscriptions", ["status"])
    if old:
        op.bulk_insert(table, [{"id": r["user_id"], "user_id": r["user_id"], "plan_code": r["plan_code"],
                                "status": r["status"], "started_at": r["started_at"]} for r in old])
    op.create_table(
        "payment_events",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("gateway", sa.String(16), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("event_type", sa.String(80), nullable=False),
        sa.Column("resource_id", sa.String(128), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _when("received_at"),
        _when("applied_at", True),
        sa.Column("outcome", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_payment_events"),
        sa.UniqueConstraint("gateway", "event_id", name="uq_payment_events_gateway_event_id"),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("subscription_id", sa.String(64), nullable=False),
        sa.Column("gateway", sa.String(16), nullable=False),
        sa.Column("payment_id", sa.String(128), nullable=False),
        sa.Column("plan_code", sa.String(32), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _when("created_at"),
        _when("period_end", True),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_invoices_user_id_users", ondelete="CASCADE"),
        sa.UniqueConstraint("gateway", "payment_id", name="uq_invoices_gateway_payment_id"),
    )
    op.create_index("ix_invoices_user_id", "invoices", ["user_id"])
    op.create_table(
        "gateway_plans",
        sa.Column("gateway", sa.String(16), nullable=False),
        sa.Column("plan_code", sa.String(32), nullable=False),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("remote_id", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("gateway", "plan_code", "interval", "currency", name="pk_gateway_plans"),
    )
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("to", sa.String(254), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        _when("created_at"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at", True),
        _when("lease_until", True),
        sa.Column("last_error", sa.Text(), nullable=False),
        _when("sent_at", True),
        sa.PrimaryKeyConstraint("id", name="pk_mail_outbox"),
        sa.UniqueConstraint("key", name="uq_mail_outbox_key"),
    )
    op.create_index("ix_mail_outbox_status_next_attempt_at", "mail_outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("mail_outbox")
    op.drop_table("gateway_plans")
    op.drop_table("invoices")
    op.drop_table("payment_events")
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT user_id, plan_code, status, started_at FROM subscriptions "
                                "ORDER BY started_at")).mappings().all()
    op.drop_table("subscriptions")
    table = op.create_table(
        "subscriptions",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("plan_code", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _when("started_at"),
        sa.PrimaryKeyConstraint("user_id", name="pk_subscriptions"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_subscriptions_user_id_users", ondelete="CASCADE"),
    )
    latest = {r["user_id"]: dict(r) for r in rows}  # the newest of each user's subscriptions
    if latest:
        op.bulk_insert(table, list(latest.values()))
