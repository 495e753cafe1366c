"""MercadoPago subscriptions (preapproval) with the official `mercadopago` SDK.

The SDK does all Buko needs: `preapproval()` creates, reads and updates (cancels) subscriptions,
`invoice()` reads authorized payments (the recurring charges). It is synchronous (requests), so every
call runs in a thread, off the event loop. It accepts a custom HttpClient: Buko's rebases the SDK's
fixed https://api.mercadopago.com onto `MP_BASE_URL` when that is set (a local stand-in in tests).

Webhooks: the `x-signature` header (`ts=<ts>,v1=<hex>`) is an HMAC-SHA256 with `MP_WEBHOOK_SECRET`
over the manifest `id:<data.id>;request-id:<x-request-id>;ts:<ts>;`, where data.id comes from the
query string (lower-cased when alphanumeric). A bounded clock skew refuses stale deliveries, and
the body must name the same resource. Then the payload is never trusted: the worker fetches the
subscription or the payment from the API and applies what the API says.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import mercadopago
from mercadopago.http.http_client import HttpClient

from buko.application.billing.ports import (
    Checkout,
    CheckoutRequest,
    GatewayUnavailable,
    PaymentGateway,
    RemotePlan,
    ResolvedUpdate,
    VerifiedEvent,
    WebhookDelivery,
    WebhookRefused,
)
from buko.domain.billing.invoices import PaymentEvent
from buko.domain.billing.plans import Interval, Plan
from buko.domain.billing.subscription import Change, GatewayUpdate

API = "https://api.mercadopago.com"
MAX_SKEW = timedelta(minutes=5)
PREAPPROVAL_CHANGES = {"authorized": Change.ACTIVATED, "paused": Change.SUSPENDED, "cancelled": Change.CANCELLED}


class _RebasedHttpClient(HttpClient):
    """Sends the SDK's requests to another base URL (and never retries silently: the task does)."""

    def __init__(self, base_url: str, timeout: float):
        self.base_url, self.timeout = base_url.rstrip("/"), timeout

    def request(self, method, url, maxretries=None, retry_on=None, backoff_factor=None, **kwargs):
        if self.base_url and url.startswith(API):
            url = self.base_url + url[len(API):]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, maxretries=0, retry_on=retry_on, backoff_factor=backoff_factor, **kwargs)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def signature_manifest(data_id: str, request_id: str, ts: str) -> str:
    data_id = data_id.lower() if data_id.isalnum() else data_id
    return f"id:{data_id};request-id:{request_id};ts:{ts};"


class MercadoPagoGateway(PaymentGateway):
    name = "mercadopago"

    def __init__(self, access_token: str, webhook_secret: str, currency: str = "ARS", base_url: str = "",
                 timeout: float = 20.0):
        self.webhook_secret = webhook_secret
        self.currencies = (currency.upper(),)
        self.sdk = mercadopago.SDK(access_token, http_client=_RebasedHttpClient(base_url, timeout))

    async def _sdk(self, call, *args, ok=(200, 201)) -> dict:
        try:
            reply = await asyncio.to_thread(call, *args)
        except Exception as exc:  # requests' errors, the SDK's own
            raise GatewayUnavailable(f"MercadoPago did not answer: {exc}") from exc
        if reply.get("status") not in ok:
            raise GatewayUnavailable(f"MercadoPago answered {reply.get('status')}: {str(reply.get('response'))[:300]}")
        return reply.get("response") or {}

    async def setup(self, plans: list[Plan]) -> list[RemotePlan]:
        """Nothing to create: each preapproval carries its own amount and frequency."""
        return []

    async def create_subscription(self, request: CheckoutRequest) -> Checkout:
        created = await self._sdk(self.sdk.preapproval().create, {
            "reason": f"Buko {request.plan.name}",
            "external_reference": request.subscription_id,
            "payer_email": request.email,
            "back_url": request.return_url,
            "status": "pending",
            "auto_recurring": {
                "frequency": 1 if request.interval == Interval.MONTH else 12, "frequency_type": "months",
                "transaction_amount": request.amount / 100, "currency_id": request.currency,
            },
        })
        if not created.get("id") or not created.get("init_point"):
            raise GatewayUnavailable("MercadoPago gave no checkout link for the subscription")
        return Checkout(str(created["id"]), created["init_point"])

    async def cancel_subscription(self, gateway_ref: str, reason: str) -> None:
        await self._sdk(self.sdk.preapproval().update, gateway_ref, {"status": "cancelled"})

    async def checkout_approved(self, gateway_ref: str) -> bool | None:
        """A preapproval has only a `back_url`, reached whether or not the author approved: what the API
        reports says which (still `pending` or `cancelled`: the author backed out)."""
        try:
            found = await self._sdk(self.sdk.preapproval().get, gateway_ref)
        except GatewayUnavailable:
            return None
        return {"authorized": True, "paused": True, "pending": False, "cancelled": False}.get(found.get("status", ""))

    async def verify(self, delivery: WebhookDelivery, now: datetime) -> VerifiedEvent:
        parts = dict(p.strip().split("=", 1) for p in delivery.headers.get("x-signature", "").split(",") if "=" in p)
        ts, v1 = parts.get("ts", ""), parts.get("v1", "")
        request_id = delivery.headers.get("x-request-id", "")
        data_id = delivery.query.get("data.id", "")
        if not (ts and v1 and request_id and data_id):
            raise WebhookRefused("missing x-signature, x-request-id or data.id")
        try:
            stamp = int(ts)
        except ValueError:
            raise WebhookRefused("the signature's timestamp is not a number") from None
        sent_at = datetime.fromtimestamp(stamp / 1000 if stamp > 10**11 else stamp, UTC)
        expected = hmac.new(self.webhook_secret.encode(), signature_manifest(data_id, request_id, ts).encode(),
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, v1.lower()):
            raise WebhookRefused("the webhook's signature does not match")
        if abs(now - sent_at) > MAX_SKEW:
            raise WebhookRefused("the webhook's timestamp is too far from now")
        try:
            body = json.loads(delivery.body or b"{}")
        except ValueError:
            raise WebhookRefused("the webhook body is not JSON") from None
        body_id = str((body.get("data") or {}).get("id", "")) if isinstance(body, dict) else ""
        kind = str(body.get("type") or delivery.query.get("type", "")) if isinstance(body, dict) else ""
        if body_id.lower() != data_id.lower() or (delivery.query.get("type") and delivery.query["type"] != kind):
            raise WebhookRefused("the webhook body does not name the signed resource")
        event_id = str(body.get("id") or request_id)
        return VerifiedEvent(event_id, kind, data_id, body)

    async def resolve(self, event: PaymentEvent) -> list[ResolvedUpdate]:
        if event.event_type == "subscription_preapproval":
            sub = await self._sdk(self.sdk.preapproval().get, event.resource_id)
            change = PREAPPROVAL_CHANGES.get(sub.get("status", ""))
            if change is None:
                return []
            when = parse_time(sub.get("last_modified")) or event.received_at
            update = GatewayUpdate(change, when, parse_time(sub.get("next_payment_date")))
            return [ResolvedUpdate(str(sub["id"]), update, sub.get("external_reference", ""))]
        if event.event_type == "subscription_authorized_payment":
            charge = await self._sdk(self.sdk.invoice().get, event.resource_id)
            ref = str(charge.get("preapproval_id", ""))
            payment = charge.get("payment") or {}
            status = payment.get("status", "")
            if not ref or status not in ("approved", "rejected"):
                return []
            sub = await self._sdk(self.sdk.preapproval().get, ref)
            when = parse_time(charge.get("last_modified") or charge.get("date_created")) or event.received_at
            change = Change.PAYMENT_COMPLETED if status == "approved" else Change.PAYMENT_FAILED
            update = GatewayUpdate(change, when, parse_time(sub.get("next_payment_date")),
                                   str(payment.get("id") or charge.get("id")),
                                   round(float(charge.get("transaction_amount", 0)) * 100), charge.get("currency_id", ""))
            return [ResolvedUpdate(ref, update, sub.get("external_reference", ""))]
        return []
