"""Subscribing: put an account on a plan by hand, check out at a gateway, cancel, and what the
billing page shows."""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from buko.application.billing.ports import (
    CheckoutRequest,
    GatewayNotConfigured,
    GatewayUnavailable,
    MonthRevenue,
    PaymentGateway,
)
from buko.application.commands import Subscribe
from buko.application.ports import Clock, UnitOfWork
from buko.domain.billing.invoices import Invoice
from buko.domain.billing.plans import CATALOGUE, Interval, Plan, UnknownPlan, month_start, plan_named
from buko.domain.billing.subscription import Subscription, SubscriptionStatus, effective_plan, governing
from buko.domain.errors import Conflict, NotFound

log = logging.getLogger(__name__)

# A checkout the gateway has not confirmed by then was left there (PayPal's approval links last about
# 3 hours): it is abandoned, and a confirmation that still arrives later activates it all the same.
PENDING_CHECKOUT_TTL = timedelta(hours=3)


async def settle(uow_factory: Callable[[], UnitOfWork], candidates: list[Subscription],
                 change: Callable[[Subscription], bool]) -> list:
    """Apply a change decided here to each candidate under its row lock (a webhook applied meanwhile
    wins: `change` sees the stored state); returns the events raised."""
    raised = []
    for candidate in candidates:
        async with uow_factory() as uow:
            sub = await uow.subscriptions.get(candidate.id, for_update=True)
            if sub is not None and change(sub):
                await uow.subscriptions.save(sub)
                await uow.commit()
                raised.extend(sub.events)
    return raised


async def abandon_stale(uow_factory: Callable[[], UnitOfWork], subs: list[Subscription], now: datetime,
                        ttl: timedelta) -> list[Subscription]:
    """The author's checkouts left pending past `ttl` are abandoned; returns the list as it now stands."""
    stale = [s for s in subs if s.status is SubscriptionStatus.PENDING and now - s.started_at >= ttl]
    if not stale:
        return subs
    await settle(uow_factory, stale, lambda sub: sub.abandon_if_stale(now, ttl))
    async with uow_factory() as uow:
        return await uow.subscriptions.list_for_user(subs[0].user_id)


class SubscribeHandler:
    """Put an account on a plan without a payment (administrators, the local CLI author)."""

    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock):
        self.uow, self.clock = uow, clock

    async def __call__(self, cmd: Subscribe) -> None:
        plan = plan_named(cmd.plan_code)
        async with self.uow() as uow:
            if await uow.users.get(cmd.user_id) is None:
                raise NotFound(f"no user {cmd.user_id}")
            await uow.subscriptions.save(
                Subscription(cmd.user_id, plan.code, SubscriptionStatus.ACTIVE, self.clock.now())
            )
            await uow.commit()


@dataclass(frozen=True)
class StartCheckout:
    user_id: str
    plan_code: str
    interval: str
    gateway: str
    currency: str
    return_url: str
    cancel_url: str


@dataclass(frozen=True)
class CheckoutStarted:
    subscription_id: str
    approve_url: str


class Checkouts:
    """Start a subscription at a gateway: a pending Subscription, then the gateway's approve URL."""

    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock, gateways: Mapping[str, PaymentGateway],
                 checkout_ttl: timedelta = PENDING_CHECKOUT_TTL):
        self.uow, self.clock, self.gateways, self.checkout_ttl = uow, clock, gateways, checkout_ttl

    def gateway(self, name: str) -> PaymentGateway:
        found = self.gateways.get(name)
        if found is None:
            configured = ", ".join(sorted(self.gateways)) or "none"
            raise GatewayNotConfigured(f"payments through {name!r} are not available here (configured: {configured})")
        return found

    def gateways_for(self, currency: str) -> list[str]:
        """The configured gateways that charge in this currency."""
        return sorted(name for name, gateway in self.gateways.items() if currency.upper() in gateway.currencies)

    async def start(self, cmd: StartCheckout) -> CheckoutStarted:
        gateway = self.gateway(cmd.gateway)
        plan, currency = plan_named(cmd.plan_code), cmd.currency.upper()
        if not plan.paid or not plan.listed:
            raise UnknownPlan(f"the {plan.name} plan is not sold")
        if currency not in gateway.currencies:
            raise UnknownPlan(f"{gateway.name} charges in {', '.join(gateway.currencies)}, not {currency}")
        amount = plan.price(cmd.interval, currency)
        now = self.clock.now()
        async with self.uow() as uow:
            user = await uow.users.get(cmd.user_id)
            if user is None:
                raise NotFound(f"no user {cmd.user_id}")
            subs = await uow.subscriptions.list_for_user(user.id)
        subs = await abandon_stale(self.uow, subs, now, self.checkout_ttl)
        async with self.uow() as uow:
            current = governing(subs, now)
            if current is not None and current.gateway != "manual" and current.status in (
                SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE
            ):
                raise Conflict("you already have a subscription; cancel it first (it runs to the end of "
                               "the paid period)", {"subscription_id": current.id, "plan": current.plan_code})
            older = [s for s in subs if s.status is SubscriptionStatus.PENDING and s.gateway != "manual"]
            remote_plan = ""
            if gateway.needs_setup:
                remote_plan = await uow.gateway_plans.find(gateway.name, plan.code, cmd.interval, currency) or ""
                if not remote_plan:
                    raise GatewayNotConfigured(f"{gateway.name} has no plans yet: run `buko billing setup`")
        await self._withdraw(older, now)
        sub = Subscription(user.id, plan.code, SubscriptionStatus.PENDING, now, interval=Interval(cmd.interval).value,
                           gateway=gateway.name, currency=currency, amount=amount)
        checkout = await gateway.create_subscription(CheckoutRequest(
            sub.id, user.email, plan, Interval(cmd.interval), currency, amount,
            _with_ref(cmd.return_url, sub.id), _with_ref(cmd.cancel_url, sub.id), remote_plan,
        ))
        sub.gateway_ref = checkout.gateway_ref
        async with self.uow() as uow:
            await uow.subscriptions.save(sub)
            await uow.commit()
        return CheckoutStarted(sub.id, checkout.approve_url)


    async def _withdraw(self, older: list[Subscription], now: datetime) -> None:
        """A new checkout replaces the author's earlier ones still awaiting approval: each is cancelled at
        its gateway, so approving it later cannot charge a second subscription, and abandoned here. A
        gateway that refuses (or cannot be reached) is logged; should that checkout still be approved, the
        webhook cancels the second subscription (Webhooks.apply)."""
        for old in older:
            gateway = self.gateways.get(old.gateway)
            if gateway is not None and old.gateway_ref:
                try:
                    await gateway.cancel_subscription(old.gateway_ref, "replaced by a newer checkout")
                except Exception as refused:  # noqa: BLE001 — best effort, the webhook is the backstop
                    log.warning("could not cancel checkout %s at %s (%s); a late approval of it will be "
                                "cancelled when it arrives", old.id, old.gateway, refused)
        await settle(self.uow, older, _abandon_if_pending("replaced by a newer checkout", now))


def _with_ref(url: str, subscription_id: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}subscription={subscription_id}"


@dataclass(frozen=True)
class BillingStatus:
    plan: Plan
    subscription: Subscription | None
    invoices: list[Invoice]
    next_charge_at: datetime | None
    access_until: datetime | None
    abandoned: Subscription | None = None  # the newest checkout, when it was abandoned and is not `subscription`


class Billing:
    """The author's side: status, cancel; the admin's: every subscription and the revenue."""

    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock, gateways: Mapping[str, PaymentGateway],
                 notify=None, checkout_ttl: timedelta = PENDING_CHECKOUT_TTL):
        self.uow, self.clock, self.gateways, self.notify = uow, clock, gateways, notify
        self.checkout_ttl = checkout_ttl

    async def status(self, user_id: str) -> BillingStatus:
        now = self.clock.now()
        async with self.uow() as uow:
            subs = await uow.subscriptions.list_for_user(user_id)
            invoices = await uow.invoices.list_for_user(user_id)
        subs = await abandon_stale(self.uow, subs, now, self.checkout_ttl)
        sub = governing(subs, now)
        newest = max(subs, key=lambda s: s.started_at, default=None)
        abandoned = newest if newest is not None and newest is not sub and \
            newest.status is SubscriptionStatus.ABANDONED else None
        active = sub is not None and sub.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
        paid = sub is not None and sub.gateway != "manual"
        return BillingStatus(
            plan=effective_plan(sub, now), subscription=sub, invoices=invoices,
            next_charge_at=sub.current_period_end if active and paid else None,
            access_until=sub.current_period_end if sub is not None and sub.status is SubscriptionStatus.CANCELLED
            else None,
            abandoned=abandoned,
        )

    async def cancel(self, user_id: str, subscription_id: str | None = None) -> Subscription:
        """Stop charging: the gateway is told first (so no further charge happens), then the subscription
        is cancelled here; access runs to the end of the paid period."""
        now = self.clock.now()
        async with self.uow() as uow:
            subs = await uow.subscriptions.list_for_user(user_id)
        sub = next((s for s in subs if s.id == subscription_id), None) if subscription_id else governing(subs, now)
        if sub is None or sub.gateway == "manual":
            raise NotFound("you have no paid subscription to cancel")
        if sub.status in (SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED, SubscriptionStatus.ABANDONED):
            raise Conflict(f"the subscription is already {sub.status.value}", {"status": sub.status.value})
        if sub.gateway_ref:
            gateway = self.gateways.get(sub.gateway)
            if gateway is None:
                raise GatewayNotConfigured(f"{sub.gateway} is not configured here; cannot cancel at the gateway")
            await gateway.cancel_subscription(sub.gateway_ref, "cancelled by the author in Buko")
        async with self.uow() as uow:
            sub = await uow.subscriptions.get(sub.id, for_update=True)
            if sub.status not in (SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED,
                                  SubscriptionStatus.ABANDONED):
                sub.cancel(now)
                await uow.subscriptions.save(sub)
            await uow.commit()
        if self.notify is not None:
            await self.notify.billing_events(sub.events)
        sub.events.clear()
        return sub

    async def subscription(self, user_id: str, subscription_id: str) -> Subscription:
        """One of the author's subscriptions (what a checkout's return page follows); NotFound otherwise."""
        async with self.uow() as uow:
            sub = await uow.subscriptions.get(subscription_id) if subscription_id else None
        if sub is None or sub.user_id != user_id:
            raise NotFound("no such subscription")
        return sub

    async def follow_checkout(self, user_id: str, subscription_id: str, ask_gateway: bool = True) -> Subscription:
        """A checkout as the author comes back from the gateway. Still pending: past the TTL it is
        abandoned; and a gateway with no cancel link (MercadoPago) is asked whether the author approved
        — if not, the author backed out and the checkout is abandoned (nothing was charged; a late
        approval still activates it)."""
        sub = await self.subscription(user_id, subscription_id)
        if sub.status is not SubscriptionStatus.PENDING:
            return sub
        now = self.clock.now()
        if now - sub.started_at >= self.checkout_ttl:
            raised = await settle(self.uow, [sub], lambda s: s.abandon_if_stale(now, self.checkout_ttl))
        else:
            gateway = self.gateways.get(sub.gateway)
            if not ask_gateway or gateway is None or not sub.gateway_ref or \
                    await gateway.checkout_approved(sub.gateway_ref) is not False:
                return sub
            raised = await settle(self.uow, [sub], _abandon_if_pending("not approved at the gateway", now))
        if self.notify is not None and raised:
            await self.notify.billing_events(raised)
        return await self.subscription(user_id, subscription_id)

    async def abandon_stale_checkouts(self) -> int:
        """The sweep: every checkout left pending past the TTL is abandoned."""
        now = self.clock.now()
        async with self.uow() as uow:
            stale = await uow.subscriptions.pending_started_before(now - self.checkout_ttl)
        raised = await settle(self.uow, stale, lambda sub: sub.abandon_if_stale(now, self.checkout_ttl))
        if self.notify is not None and raised:
            await self.notify.billing_events(raised)
        return len(raised)

    async def admin_page(self, status: str | None, offset: int, limit: int, gateway: str | None = None,
                         months: int = 12) -> AdminBilling:
        """Paid subscriptions (newest first, with their owners' emails), the revenue of the last 30 days
        per currency and the revenue per calendar month and currency over the last `months` months."""
        now = self.clock.now()
        first_month = month_start(now)
        for _ in range(months - 1):
            first_month = month_start(first_month - timedelta(days=1))
        async with self.uow() as uow:
            page, total = await uow.subscriptions.page(status, offset, limit, gateway)
            revenue = await uow.invoices.revenue(now - timedelta(days=30))
            monthly = await uow.invoices.monthly_revenue(first_month)
            emails = {}
            for user_id in {s.user_id for s in page}:
                user = await uow.users.get(user_id)
                emails[user_id] = user.email if user is not None else ""
        return AdminBilling(page, total, revenue, monthly, emails)


@dataclass(frozen=True)
class AdminBilling:
    subscriptions: list[Subscription]
    total: int
    revenue_last_30_days: dict[str, int]
    monthly_revenue: list[MonthRevenue]
    emails: dict[str, str]


def _abandon_if_pending(reason: str, at: datetime) -> Callable[[Subscription], bool]:
    def change(sub: Subscription) -> bool:
        if sub.status is not SubscriptionStatus.PENDING:
            return False
        sub.abandon(at, reason)
        return True
    return change


def listed_plans() -> list[Plan]:
    return [p for p in CATALOGUE.values() if p.listed]
