"""What happens to subscriptions and payments (past tense)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class BillingEvent:
    subscription_id: str
    user_id: str
    plan_code: str


@dataclass(frozen=True)
class SubscriptionActivated(BillingEvent):
    pass


@dataclass(frozen=True)
class PaymentReceived(BillingEvent):
    payment_id: str
    amount: int
    currency: str
    period_end: datetime | None


@dataclass(frozen=True)
class PaymentFailed(BillingEvent):
    grace_until: datetime | None


@dataclass(frozen=True)
class SubscriptionCancelled(BillingEvent):
    access_until: datetime | None


@dataclass(frozen=True)
class SubscriptionExpired(BillingEvent):
    pass


@dataclass(frozen=True)
class CheckoutAbandoned(BillingEvent):
    """A checkout the author never approved (left the gateway, backed out, or let it lapse): nothing was
    charged. A gateway that confirms it later still activates it."""

    reason: str
