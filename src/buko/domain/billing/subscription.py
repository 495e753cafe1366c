"""The subscription state machine.

    pending --activated / payment--> active --payment failed--> past_due --payment--> active
    past_due --grace period over--> expired
    active | past_due --cancelled--> cancelled   (access runs to the end of the paid period)
    pending --not approved in time / backed out / cancelled--> abandoned   (nothing was charged)
    abandoned --activated / payment (the gateway confirms it after all)--> active
    any but expired --expired (by the gateway)--> expired

Abandoning is our own conclusion, not a gateway's fact: it does not stamp `last_event_at`, so a
gateway's confirmation that happened before (and arrives late) still activates the subscription —
money taken is never ignored.

Gateways report changes as `GatewayUpdate`s stamped with when they happened. An update older than
the last one applied never moves the status (events may arrive out of order); a payment always
counts for the period it paid, whatever the order.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from buko.domain.billing.events import (
    BillingEvent,
    CheckoutAbandoned,
    PaymentFailed,
    PaymentReceived,
    SubscriptionActivated,
    SubscriptionCancelled,
    SubscriptionExpired,
)
from buko.domain.errors import InvalidTransition

if TYPE_CHECKING:
    from buko.domain.billing.plans import Plan

DEFAULT_GRACE = timedelta(days=7)


class SubscriptionStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    ABANDONED = "abandoned"


UNSETTLED = {SubscriptionStatus.PENDING, SubscriptionStatus.ABANDONED}  # checkouts never paid
TERMINAL = {SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED}


class Change(StrEnum):
    ACTIVATED = "activated"
    PAYMENT_COMPLETED = "payment_completed"
    PAYMENT_FAILED = "payment_failed"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True)
class GatewayUpdate:
    """One fact a gateway told us about a subscription (amounts in minor units)."""

    change: Change
    occurred_at: datetime
    period_end: datetime | None = None
    payment_id: str = ""
    amount: int = 0
    currency: str = ""


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Subscription:
    user_id: str
    plan_code: str
    status: SubscriptionStatus
    started_at: datetime
    id: str = field(default_factory=_new_id)
    interval: str = "month"
    gateway: str = "manual"
    gateway_ref: str = ""
    currency: str = ""
    amount: int = 0
    current_period_end: datetime | None = None
    grace_until: datetime | None = None
    ended_at: datetime | None = None
    last_event_at: datetime | None = None
    events: list[BillingEvent] = field(default_factory=list, compare=False, repr=False)

    @property
    def plan(self) -> Plan:
        from buko.domain.billing.plans import plan_named

        return plan_named(self.plan_code)

    # -- what the subscription grants ------------------------------------------------
    @property
    def author_can_cancel(self) -> bool:
        """A paid subscription (or its checkout) that still charges or may: what the author's cancel acts on."""
        return self.gateway != "manual" and self.status in (
            SubscriptionStatus.PENDING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)

    def grants_access(self, now: datetime | None) -> bool:
        if self.status is SubscriptionStatus.ACTIVE:
            return True
        if self.status is SubscriptionStatus.PAST_DUE:
            return now is None or self.grace_until is None or now < self.grace_until
        if self.status is SubscriptionStatus.CANCELLED:
            return now is not None and self.current_period_end is not None and now < self.current_period_end
        return False

    # -- changes reported by the gateway ----------------------------------------------
    def apply(self, update: GatewayUpdate, grace: timedelta = DEFAULT_GRACE) -> bool:
        """Apply a gateway's update; returns whether the status or the paid period changed."""
        stale = self.last_event_at is not None and update.occurred_at < self.last_event_at
        changed = False
        if update.change is Change.PAYMENT_COMPLETED:
            changed = self._paid(update, stale)
        elif not stale and self.status is not SubscriptionStatus.EXPIRED:
            changed = self._move(update, grace)
        if not stale:
            self.last_event_at = update.occurred_at
        return changed

    def _paid(self, update: GatewayUpdate, stale: bool) -> bool:
        extended = self._extend(update.period_end)
        self.events.append(PaymentReceived(self.id, self.user_id, self.plan_code, update.payment_id, update.amount,
                                           update.currency or self.currency, self.current_period_end))
        if stale and self.status is SubscriptionStatus.ABANDONED:
            # Paid before the gateway ended the checkout (the end reached us first): the money bought
            # this period, so the subscription is a cancelled one with access to the period's end.
            self._end(self.ended_at or update.occurred_at, SubscriptionStatus.CANCELLED)
            return True
        if stale or self.status in TERMINAL:
            return extended
        was = self.status
        self._activate()
        return extended or was is not SubscriptionStatus.ACTIVE

    def _activate(self) -> None:
        was = self.status
        self.status, self.grace_until = SubscriptionStatus.ACTIVE, None
        if was in UNSETTLED:
            self.ended_at = None
            self.events.append(SubscriptionActivated(self.id, self.user_id, self.plan_code))

    def _move(self, update: GatewayUpdate, grace: timedelta) -> bool:
        s, change = SubscriptionStatus, update.change
        if self.status is s.ABANDONED and change is not Change.ACTIVATED:
            return False
        if self.status is s.PENDING and change in (Change.CANCELLED, Change.EXPIRED):
            self.abandon(update.occurred_at, f"{change.value} at the gateway")  # never paid: nothing ends
            return True
        if change is Change.EXPIRED:
            self._end(update.occurred_at, s.EXPIRED)
            return True
        if self.status is s.CANCELLED:
            return False
        if change is Change.CANCELLED:
            self._end(update.occurred_at, s.CANCELLED)
            return True
        if change is Change.ACTIVATED:
            was = self.status
            self._extend(update.period_end)
            self._activate()
            return was is not s.ACTIVE
        if change in (Change.PAYMENT_FAILED, Change.SUSPENDED):
            if self.status is s.PENDING:
                return False
            first = self.status is s.ACTIVE
            self.status = s.PAST_DUE
            if self.grace_until is None:
                self.grace_until = update.occurred_at + grace
            if first or change is Change.PAYMENT_FAILED:
                self.events.append(PaymentFailed(self.id, self.user_id, self.plan_code, self.grace_until))
            return first
        return False

    def _extend(self, period_end: datetime | None) -> bool:
        if period_end is not None and (self.current_period_end is None or period_end > self.current_period_end):
            self.current_period_end = period_end
            return True
        return False

    def _end(self, at: datetime, status: SubscriptionStatus) -> None:
        self.status, self.ended_at = status, at
        if status is SubscriptionStatus.CANCELLED:
            self.events.append(SubscriptionCancelled(self.id, self.user_id, self.plan_code,
                                                     self.current_period_end if self.grants_access(at) else at))
        else:
            self.events.append(SubscriptionExpired(self.id, self.user_id, self.plan_code))

    # -- changes decided here ---------------------------------------------------------
    def cancel(self, at: datetime) -> None:
        """The author cancels: no more charges; access runs to the end of the paid period. A checkout
        that was never paid is abandoned instead (there is nothing to end)."""
        if self.status in TERMINAL or self.status is SubscriptionStatus.ABANDONED:
            raise InvalidTransition(f"the subscription is already {self.status.value}")
        if self.status is SubscriptionStatus.PENDING:
            self.abandon(at, "cancelled by the author")
            return
        self._end(at, SubscriptionStatus.CANCELLED)
        self.last_event_at = max(self.last_event_at or at, at)

    def abandon(self, at: datetime, reason: str) -> None:
        """A checkout that was not approved: nothing was charged, the author may check out again."""
        if self.status is not SubscriptionStatus.PENDING:
            raise InvalidTransition(f"only a pending checkout can be abandoned, not a {self.status.value} one")
        self.status, self.ended_at = SubscriptionStatus.ABANDONED, at
        self.events.append(CheckoutAbandoned(self.id, self.user_id, self.plan_code, reason))

    def abandon_if_stale(self, now: datetime, ttl: timedelta) -> bool:
        """A pending checkout older than `ttl` was left at the gateway: it is abandoned."""
        if self.status is SubscriptionStatus.PENDING and now - self.started_at >= ttl:
            self.abandon(now, "not approved in time")
            return True
        return False

    def expire_if_due(self, now: datetime) -> bool:
        """A past-due subscription whose grace period is over expires."""
        if self.status is SubscriptionStatus.PAST_DUE and self.grace_until is not None and now >= self.grace_until:
            self._end(now, SubscriptionStatus.EXPIRED)
            return True
        return False


def governing(subscriptions: list[Subscription], now: datetime | None = None) -> Subscription | None:
    """The subscription that decides the plan: the newest one that grants access, else the newest
    one that is not an unpaid checkout (pending or abandoned), else the newest."""
    ordered = sorted(subscriptions, key=lambda s: s.started_at, reverse=True)
    for sub in ordered:
        if now is not None and sub.grants_access(now):
            return sub
    settled = [s for s in ordered if s.status not in UNSETTLED]
    return settled[0] if settled else (ordered[0] if ordered else None)


def effective_plan(subscription: Subscription | None, now: datetime | None = None) -> Plan:
    """The plan in force: the subscription's while it grants access, else Free."""
    from buko.domain.billing.plans import CATALOGUE, DEFAULT_PLAN

    if subscription is None or not subscription.grants_access(now):
        return CATALOGUE[DEFAULT_PLAN]
    return subscription.plan
