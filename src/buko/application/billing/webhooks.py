"""Gateway webhooks: verified and stored at once, applied by a queued task, each event once."""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from buko.application.billing.ports import GatewayUnavailable, PaymentGateway, WebhookDelivery
from buko.application.commands import ApplyPaymentEvent
from buko.application.ports import Clock, TaskQueue, UnitOfWork
from buko.domain.billing.events import PaymentReceived
from buko.domain.billing.invoices import Invoice, PaymentEvent
from buko.domain.billing.subscription import DEFAULT_GRACE, Change, SubscriptionStatus
from buko.domain.errors import NotFound

log = logging.getLogger(__name__)
RETRY_WINDOW = timedelta(days=3)


@dataclass(frozen=True)
class Received:
    event_id: str
    duplicate: bool


class Webhooks:
    """Receive (fast: verify, store, queue) and apply (in a worker) the gateways' events."""

    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock, queue: TaskQueue,
                 gateways: Mapping[str, PaymentGateway], notify=None, grace: timedelta = DEFAULT_GRACE):
        self.uow, self.clock, self.queue, self.gateways = uow, clock, queue, gateways
        self.notify, self.grace = notify, grace

    def _gateway(self, name: str) -> PaymentGateway:
        if name not in self.gateways:
            raise NotFound(f"payments through {name!r} are not configured here")
        return self.gateways[name]

    async def receive(self, gateway_name: str, delivery: WebhookDelivery) -> Received:
        """Verify (WebhookRefused otherwise), keep the event, queue it unless it was already applied."""
        gateway = self._gateway(gateway_name)
        now = self.clock.now()
        verified = await gateway.verify(delivery, now)
        event = PaymentEvent(uuid.uuid4().hex, gateway.name, verified.event_id, verified.event_type,
                             verified.resource_id, verified.payload, now)
        async with self.uow() as uow:
            known = await uow.payment_events.by_event_id(gateway.name, verified.event_id)
            if known is None:
                if await uow.payment_events.add(event):
                    await uow.commit()
                else:  # the same event, received at this very moment by another process
                    known = await uow.payment_events.by_event_id(gateway.name, verified.event_id)
        duplicate = known is not None
        event = known or event
        if event.applied_at is None:
            try:
                await self.queue.enqueue(ApplyPaymentEvent(event.id))
            except Exception:  # stored: the billing sweep queues it again
                log.warning("could not queue payment event %s; the sweep will", event.id, exc_info=True)
        return Received(event.event_id, duplicate)

    async def apply(self, cmd: ApplyPaymentEvent) -> str:
        """Apply a stored event once; returns its outcome."""
        async with self.uow() as uow:
            event = await uow.payment_events.get(cmd.event_row_id)
        if event is None:
            return "missing"
        if event.applied_at is not None:
            return event.outcome
        gateway = self.gateways.get(event.gateway)
        if gateway is None:
            raise GatewayUnavailable(f"{event.gateway} is not configured in this worker")
        resolved = await gateway.resolve(event)
        now = self.clock.now()
        raised, duplicates = [], []
        async with self.uow() as uow:
            event = await uow.payment_events.get(cmd.event_row_id, for_update=True)
            if event.applied_at is not None:
                return event.outcome
            outcomes = []
            for item in resolved:
                sub = await uow.subscriptions.by_gateway_ref(gateway.name, item.gateway_ref, for_update=True)
                if sub is None and item.our_ref:
                    sub = await uow.subscriptions.get(item.our_ref, for_update=True)
                    if sub is not None and sub.gateway != gateway.name:
                        sub = None
                if sub is None:
                    outcomes.append(f"no subscription {item.gateway_ref or item.our_ref}")
                    continue
                if not sub.gateway_ref:
                    sub.gateway_ref = item.gateway_ref
                before = sub.status
                sub.apply(item.update, self.grace)
                if before is not SubscriptionStatus.ACTIVE and sub.status is SubscriptionStatus.ACTIVE and \
                        await self._already_subscribed(uow, sub):
                    duplicates.append(sub)
                update = item.update
                if update.change in (Change.PAYMENT_COMPLETED, Change.PAYMENT_FAILED) and update.payment_id:
                    paid = update.change is Change.PAYMENT_COMPLETED
                    fresh = await uow.invoices.add(Invoice(
                        uuid.uuid4().hex, sub.user_id, sub.id, gateway.name, update.payment_id, sub.plan_code,
                        update.amount, update.currency or sub.currency, "paid" if paid else "failed",
                        update.occurred_at, sub.current_period_end,
                    ))
                    if not fresh:  # this payment was already recorded (another event told us): no new receipt
                        sub.events = [e for e in sub.events if not isinstance(e, PaymentReceived)]
                await uow.subscriptions.save(sub)
                raised.extend(sub.events)
                sub.events.clear()
                outcomes.append(f"{sub.id}: {before.value} -> {sub.status.value}")
            if resolved and all(o.startswith("no subscription") for o in outcomes) and \
                    now - event.received_at < RETRY_WINDOW:
                # Its subscription may not be stored yet (a webhook faster than our checkout): retried later.
                event.outcome = "; ".join(outcomes)
                await uow.payment_events.save(event)
                await uow.commit()
                return event.outcome
            event.applied_at, event.outcome = now, "; ".join(outcomes) or "ignored"
            await uow.payment_events.save(event)
            await uow.commit()
        for duplicate in duplicates:
            raised.extend(await self._cancel_duplicate(gateway, duplicate, now))
        if self.notify is not None and raised:
            await self.notify.billing_events(raised)
        return event.outcome

    @staticmethod
    async def _already_subscribed(uow: UnitOfWork, sub) -> bool:
        """Whether the author already had another paid subscription running when this one started."""
        return any(other.id != sub.id and other.gateway != "manual" and
                   other.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
                   for other in await uow.subscriptions.list_for_user(sub.user_id))

    async def _cancel_duplicate(self, gateway: PaymentGateway, sub, now) -> list:
        """A second paid subscription (two checkouts approved): it is cancelled at the gateway at once, so it
        never charges again, and here (its paid period still counts). Its first payment is due back to the
        author: logged for the administrators, who see it cancelled on the admin billing page."""
        try:
            await gateway.cancel_subscription(sub.gateway_ref, "the author already has a Buko subscription")
        except Exception as refused:  # noqa: BLE001 — still active at the gateway: say so, loudly, once
            log.error("DUPLICATE subscription %s of user %s could not be cancelled at %s (%s): cancel it there "
                      "and refund its payment", sub.id, sub.user_id, gateway.name, refused)
            return []
        async with self.uow() as uow:
            stored = await uow.subscriptions.get(sub.id, for_update=True)
            if stored.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE):
                stored.cancel(now)
                await uow.subscriptions.save(stored)
                await uow.commit()
        log.warning("duplicate subscription %s of user %s cancelled at %s; refund its first payment",
                    sub.id, sub.user_id, gateway.name)
        return []  # no "your subscription ends" mail: the author's first subscription goes on

    async def requeue_unapplied(self, min_age: timedelta = timedelta(minutes=1)) -> int:
        """Queue again stored events that were never applied (a lost task, a subscription that was late)."""
        now = self.clock.now()
        async with self.uow() as uow:
            waiting = await uow.payment_events.unapplied(now - min_age)
        waiting = [e for e in waiting if now - e.received_at < RETRY_WINDOW]
        for event in waiting:
            await self.queue.enqueue(ApplyPaymentEvent(event.id))
        return len(waiting)

    async def expire_overdue(self) -> int:
        """Past-due subscriptions whose grace period ended expire (the plan falls back to Free)."""
        now = self.clock.now()
        async with self.uow() as uow:
            due = await uow.subscriptions.past_due_until(now)
        raised = []
        for candidate in due:
            async with self.uow() as uow:
                sub = await uow.subscriptions.get(candidate.id, for_update=True)
                if sub is not None and sub.expire_if_due(now):
                    await uow.subscriptions.save(sub)
                    await uow.commit()
                    raised.extend(sub.events)
        if self.notify is not None and raised:
            await self.notify.billing_events(raised)
        return len(raised)
