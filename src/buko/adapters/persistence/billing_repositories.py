"""Billing and mail stores over an AsyncSession: subscriptions, gateway events, invoices, gateway
plans, the mail outbox. Inserts that must happen once use ON CONFLICT DO NOTHING (both backends)."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from buko.adapters.persistence.tables import (
    gateway_plans,
    invoices,
    mail_outbox,
    payment_events,
    subscription_from_row,
    subscription_row,
    subscriptions,
)
from buko.application.billing.ports import (
    BillingSubscriptions,
    GatewayPlanRepository,
    InvoiceRepository,
    MonthRevenue,
    PaymentEventRepository,
    RemotePlan,
)
from buko.application.notifications import MailOutbox
from buko.application.ports import SubscriptionRepository
from buko.domain.billing.invoices import Invoice, PaymentEvent
from buko.domain.billing.subscription import Subscription, SubscriptionStatus, governing
from buko.domain.mail import MailStatus, OutgoingMail


class _Store:
    def __init__(self, session: AsyncSession):
        self.session = session

    def _insert(self, table):
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    async def _insert_once(self, table, values: dict) -> bool:
        result = await self.session.execute(self._insert(table).values(**values).on_conflict_do_nothing())
        return result.rowcount == 1

    def _locked(self, query, for_update: bool):
        return query.with_for_update() if for_update and self.session.get_bind().dialect.name != "sqlite" else query


class SqlAlchemySubscriptionRepository(_Store, SubscriptionRepository, BillingSubscriptions):
    """A user's subscriptions over time; `save` inserts or updates by id."""

    async def get_for_user(self, user_id: str) -> Subscription | None:
        """The newest settled subscription (a later one replaces an earlier one); pending checkouts
        count only when there is nothing else."""
        return governing(await self.list_for_user(user_id))

    async def list_for_user(self, user_id: str) -> list[Subscription]:
        query = sa.select(subscriptions).where(subscriptions.c.user_id == user_id)
        return [subscription_from_row(r) for r in (await self.session.execute(query)).mappings()]

    async def get(self, subscription_id: str, *, for_update: bool = False) -> Subscription | None:
        query = self._locked(sa.select(subscriptions).where(subscriptions.c.id == subscription_id), for_update)
        row = (await self.session.execute(query)).mappings().one_or_none()
        return subscription_from_row(row) if row else None

    async def by_gateway_ref(self, gateway: str, gateway_ref: str, *, for_update: bool = False):
        if not gateway_ref:
            return None
        query = sa.select(subscriptions).where(subscriptions.c.gateway == gateway,
                                               subscriptions.c.gateway_ref == gateway_ref)
        row = (await self.session.execute(self._locked(query, for_update))).mappings().one_or_none()
        return subscription_from_row(row) if row else None

    async def save(self, subscription: Subscription) -> None:
        values = subscription_row(subscription)
        insert = self._insert(subscriptions).values(**values)
        await self.session.execute(insert.on_conflict_do_update(
            index_elements=[subscriptions.c.id], set_={k: insert.excluded[k] for k in values if k != "id"}))

    async def past_due_until(self, now: datetime, limit: int = 100) -> list[Subscription]:
        query = (sa.select(subscriptions)
                 .where(subscriptions.c.status == SubscriptionStatus.PAST_DUE.value, subscriptions.c.grace_until <= now)
                 .limit(limit))
        return [subscription_from_row(r) for r in (await self.session.execute(query)).mappings()]

    async def pending_started_before(self, when: datetime, limit: int = 100) -> list[Subscription]:
        query = (sa.select(subscriptions)
                 .where(subscriptions.c.status == SubscriptionStatus.PENDING.value, subscriptions.c.started_at < when)
                 .order_by(subscriptions.c.started_at).limit(limit))
        return [subscription_from_row(r) for r in (await self.session.execute(query)).mappings()]

    async def page(self, status: str | None, offset: int, limit: int,
                   gateway: str | None = None) -> tuple[list[Subscription], int]:
        where = [subscriptions.c.gateway != "manual"]
        if status:
            where.append(subscriptions.c.status == status)
        if gateway:
            where.append(subscriptions.c.gateway == gateway)
        total = (await self.session.execute(sa.select(sa.func.count()).select_from(subscriptions).where(*where))).scalar()
        query = sa.select(subscriptions).where(*where).order_by(subscriptions.c.started_at.desc()).offset(offset).limit(limit)
        return [subscription_from_row(r) for r in (await self.session.execute(query)).mappings()], int(total or 0)


def _event_from_row(row: Mapping) -> PaymentEvent:
    return PaymentEvent(**{k: row[k] for k in ("id", "gateway", "event_id", "event_type", "resource_id", "payload",
                                               "received_at", "applied_at", "outcome")})


class SqlAlchemyPaymentEventRepository(_Store, PaymentEventRepository):
    async def add(self, event: PaymentEvent) -> bool:
        return await self._insert_once(payment_events, vars(event).copy())

    async def get(self, event_row_id: str, *, for_update: bool = False) -> PaymentEvent | None:
        query = self._locked(sa.select(payment_events).where(payment_events.c.id == event_row_id), for_update)
        row = (await self.session.execute(query)).mappings().one_or_none()
        return _event_from_row(row) if row else None

    async def by_event_id(self, gateway: str, event_id: str) -> PaymentEvent | None:
        query = sa.select(payment_events).where(payment_events.c.gateway == gateway,
                                                payment_events.c.event_id == event_id)
        row = (await self.session.execute(query)).mappings().one_or_none()
        return _event_from_row(row) if row else None

    async def save(self, event: PaymentEvent) -> None:
        await self.session.execute(sa.update(payment_events).where(payment_events.c.id == event.id)
                                   .values(applied_at=event.applied_at, outcome=event.outcome))

    async def unapplied(self, received_before: datetime, limit: int = 100) -> list[PaymentEvent]:
        query = (sa.select(payment_events)
                 .where(payment_events.c.applied_at.is_(None), payment_events.c.received_at <= received_before)
                 .order_by(payment_events.c.received_at).limit(limit))
        return [_event_from_row(r) for r in (await self.session.execute(query)).mappings()]


class SqlAlchemyInvoiceRepository(_Store, InvoiceRepository):
    async def add(self, invoice: Invoice) -> bool:
        return await self._insert_once(invoices, vars(invoice).copy())

    async def list_for_user(self, user_id: str, limit: int = 50) -> list[Invoice]:
        query = (sa.select(invoices).where(invoices.c.user_id == user_id)
                 .order_by(invoices.c.created_at.desc()).limit(limit))
        return [Invoice(**dict(r)) for r in (await self.session.execute(query)).mappings()]

    async def revenue(self, since: datetime) -> dict[str, int]:
        query = (sa.select(invoices.c.currency, sa.func.sum(invoices.c.amount))
                 .where(invoices.c.status == "paid", invoices.c.created_at >= since).group_by(invoices.c.currency))
        return {currency: int(total) for currency, total in (await self.session.execute(query)).all()}

    async def monthly_revenue(self, since: datetime) -> list[MonthRevenue]:
        created = invoices.c.created_at
        if self.session.get_bind().dialect.name == "postgresql":
            month = sa.func.to_char(sa.func.timezone("UTC", created), "YYYY-MM")
        else:  # SQLite keeps UTC text: "2025-01-31 23:59:59"
            month = sa.func.substr(created, 1, 7)
        month = month.label("month")
        query = (sa.select(month, invoices.c.currency, sa.func.sum(invoices.c.amount), sa.func.count())
                 .where(invoices.c.status == "paid", created >= since)
                 .group_by(month, invoices.c.currency).order_by(month.desc(), invoices.c.currency))
        return [MonthRevenue(str(m), c, int(total), int(n)) for m, c, total, n in (await self.session.execute(query)).all()]


class SqlAlchemyGatewayPlanRepository(_Store, GatewayPlanRepository):
    async def save(self, gateway: str, plan: RemotePlan) -> None:
        values = {"gateway": gateway, "plan_code": plan.plan_code, "interval": str(plan.interval),
                  "currency": plan.currency, "remote_id": plan.remote_id}
        insert = self._insert(gateway_plans).values(**values)
        await self.session.execute(insert.on_conflict_do_update(
            index_elements=[gateway_plans.c.gateway, gateway_plans.c.plan_code, gateway_plans.c.interval,
                            gateway_plans.c.currency],
            set_={"remote_id": insert.excluded.remote_id}))

    async def find(self, gateway: str, plan_code: str, interval: str, currency: str) -> str | None:
        query = sa.select(gateway_plans.c.remote_id).where(
            gateway_plans.c.gateway == gateway, gateway_plans.c.plan_code == plan_code,
            gateway_plans.c.interval == str(interval), gateway_plans.c.currency == currency)
        return (await self.session.execute(query)).scalar_one_or_none()


def _mail_from_row(row: Mapping) -> OutgoingMail:
    values = {k: row[k] for k in row.keys()}
    values["status"] = MailStatus(values["status"])
    return OutgoingMail(**values)


class SqlAlchemyMailOutbox(_Store, MailOutbox):
    async def add(self, mail: OutgoingMail) -> bool:
        values = vars(mail).copy()
        values["status"] = mail.status.value
        return await self._insert_once(mail_outbox, values)

    async def get(self, mail_id: str, *, for_update: bool = False) -> OutgoingMail | None:
        query = self._locked(sa.select(mail_outbox).where(mail_outbox.c.id == mail_id), for_update)
        row = (await self.session.execute(query)).mappings().one_or_none()
        return _mail_from_row(row) if row else None

    async def save(self, mail: OutgoingMail) -> None:
        values = {k: v for k, v in vars(mail).items() if k != "id"}
        values["status"] = mail.status.value
        await self.session.execute(sa.update(mail_outbox).where(mail_outbox.c.id == mail.id).values(**values))

    async def due(self, now: datetime, limit: int = 100) -> list[OutgoingMail]:
        query = (sa.select(mail_outbox)
                 .where(mail_outbox.c.status == MailStatus.PENDING.value,
                        sa.or_(mail_outbox.c.next_attempt_at.is_(None), mail_outbox.c.next_attempt_at <= now),
                        sa.or_(mail_outbox.c.lease_until.is_(None), mail_outbox.c.lease_until <= now))
                 .order_by(mail_outbox.c.created_at).limit(limit))
        return [_mail_from_row(r) for r in (await self.session.execute(query)).mappings()]
