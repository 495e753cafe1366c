"""Receipts of payments, and the record of every event a gateway sent."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Invoice:
    """One charge: paid or failed. Unique per (gateway, payment_id)."""

    id: str
    user_id: str
    subscription_id: str
    gateway: str
    payment_id: str
    plan_code: str
    amount: int
    currency: str
    status: str
    created_at: datetime
    period_end: datetime | None = None


@dataclass
class PaymentEvent:
    """A webhook as received: verified, kept for audit, applied once (unique per gateway and event id)."""

    id: str
    gateway: str
    event_id: str
    event_type: str
    resource_id: str
    payload: dict
    received_at: datetime
    applied_at: datetime | None = None
    outcome: str = ""
