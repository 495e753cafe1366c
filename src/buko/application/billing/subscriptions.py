"""Subscribing: put an account on a plan by hand, check out at a gateway, cancel, and what the
billing page shows."""
from __future__ import annotations

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

PENDING_CHECKOUT_TTL = timedelta(hours=3)


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

    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock, gateways: Mapping[str, PaymentGateway]):
        self.uow, self.clock, self.gateways = uow, clock, gateways

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
            current = governing(await uow.subscriptions.list_for_user(user.id), now)
            if current is not None and current.gateway != "manual" and current.status in (
                SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE
            ):
                raise Conflict("you already have a subscription; cancel it first (it runs to the end of "
                               "the paid period)", {"subscription_id": current.id, "plan": current.plan_code})
            remote_plan = ""
            if gateway.needs_setup:
                remote_plan = await uow.gateway_plans.find(gateway.name, plan.code, cmd.interval, currency) or ""
                if not remote_plan:
                    raise GatewayNotConfigured(f"{gateway.name} has no plans yet: run `buko billing setup`")
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


def _with_ref(url: str, subscription_id: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}subscription={subscription_id}"


@dataclass(frozen=True)
class BillingStatus:
    plan: Plan
    subscription: Subscription | None
    invoices: list[Invoice]
    next_charge_at: datetime | None
    access_until: datetime | None


class Billing:
    """The author's side: status, cancel; the admin's: every subscription and the revenue."""

    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock, gateways: Mapping[str, PaymentGateway],
                 notify=None):
        self.uow, self.clock, self.gateways, self.notify = uow, clock, gateways, notify

    async def status(self, user_id: str) -> BillingStatus:
        now = self.clock.now()
        async with self.uow() as uow:
            sub = governing(await uow.subscriptions.list_for_user(user_id), now)
            invoices = await uow.invoices.list_for_user(user_id)
        active = sub is not None and sub.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
        paid = sub is not None and sub.gateway != "manual"
        return BillingStatus(
            plan=effective_plan(sub, now), subscription=sub, invoices=invoices,
            next_charge_at=sub.current_period_end if active and paid else None,
            access_until=sub.current_period_end if sub is not None and sub.status is SubscriptionStatus.CANCELLED
            else None,
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
        if sub.status in (SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED):
            raise Conflict(f"the subscription is already {sub.status.value}", {"status": sub.status.value})
        if sub.gateway_ref:
            gateway = self.gateways.get(sub.gateway)
            if gateway is None:
                raise GatewayNotConfigured(f"{sub.gateway} is not configured here; cannot cancel at the gateway")
            await gateway.cancel_subscription(sub.gateway_ref, "cancelled by the author in Buko")
        async with self.uow() as uow:
            sub = await uow.subscriptions.get(sub.id, for_update=True)
            if sub.status not in (SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED):
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


def listed_plans() -> list[Plan]:
    return [p for p in CATALOGUE.values() if p.listed]
