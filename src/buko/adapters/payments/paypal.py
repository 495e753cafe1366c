"""PayPal Subscriptions over its REST API, with httpx (httpx2, the HTTP client Buko already ships).

Why not the official `paypal-server-sdk`: it covers billing plans and subscriptions, but not the two
calls Buko cannot do without — the Catalog Products API (`buko billing setup` must create the
product its plans belong to) and `POST /v1/notifications/verify-webhook-signature` (every webhook is
verified by PayPal before anything is applied) — and its base URLs are fixed per environment, so a
local stand-in cannot be used in tests. One small async client for the six calls keeps one OAuth
token and one connection pool, and never blocks the event loop.

Calls: OAuth2 client credentials (`/v1/oauth2/token`, token cached until shortly before it expires);
products and plans (`/v1/catalogs/products`, `/v1/billing/plans`, found by their Buko names before
anything is created, and created with a `PayPal-Request-Id`, so setup is idempotent); subscriptions
(create -> `approve` link, get, cancel); webhook verification. `PAYPAL_MODE` picks
api-m.sandbox.paypal.com or api-m.paypal.com; `PAYPAL_BASE_URL` overrides both.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta

import httpx2 as httpx

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

log = logging.getLogger(__name__)
BASE_URLS = {"sandbox": "https://api-m.sandbox.paypal.com", "live": "https://api-m.paypal.com"}
PRODUCT_ID = "BUKO-BOOKS"
MAX_SKEW = timedelta(minutes=10)
SUBSCRIPTION_CHANGES = {
    "BILLING.SUBSCRIPTION.ACTIVATED": Change.ACTIVATED,
    "BILLING.SUBSCRIPTION.RE-ACTIVATED": Change.ACTIVATED,
    "BILLING.SUBSCRIPTION.CANCELLED": Change.CANCELLED,
    "BILLING.SUBSCRIPTION.SUSPENDED": Change.SUSPENDED,
    "BILLING.SUBSCRIPTION.EXPIRED": Change.EXPIRED,
    "BILLING.SUBSCRIPTION.PAYMENT.FAILED": Change.PAYMENT_FAILED,
}
HANDLED = (*SUBSCRIPTION_CHANGES, "PAYMENT.SALE.COMPLETED")


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def minor_units(value: str) -> int:
    whole, _, cents = str(value).partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])


class PayPalGateway(PaymentGateway):
    name = "paypal"
    currencies = ("USD", "EUR")
    needs_setup = True

    def __init__(self, client_id: str, client_secret: str, webhook_id: str, mode: str = "sandbox",
                 base_url: str = "", brand: str = "Buko", timeout: float = 20.0):
        self.client_id, self.client_secret, self.webhook_id = client_id, client_secret, webhook_id
        self.base_url = (base_url or BASE_URLS[mode]).rstrip("/")
        self.brand = brand
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)
        self._token, self._token_until = "", 0.0

    async def aclose(self) -> None:
        await self.http.aclose()

    # -- transport -----------------------------------------------------------------------
    async def _access_token(self) -> str:
        if self._token and time.monotonic() < self._token_until:
            return self._token
        try:
            reply = await self.http.post("/v1/oauth2/token", data={"grant_type": "client_credentials"},
                                         auth=(self.client_id, self.client_secret))
        except httpx.HTTPError as exc:
            raise GatewayUnavailable(f"PayPal did not answer: {exc}") from exc
        if reply.status_code != 200:
            raise GatewayUnavailable(f"PayPal refused Buko's credentials ({reply.status_code})")
        body = reply.json()
        self._token = body["access_token"]
        self._token_until = time.monotonic() + max(int(body.get("expires_in", 300)) - 60, 30)
        return self._token

    async def _call(self, method: str, path: str, body: dict | bytes | None = None, request_id: str = "",
                    ok: tuple[int, ...] = (200, 201, 204)) -> dict:
        headers = {"Authorization": f"Bearer {await self._access_token()}", "Content-Type": "application/json"}
        if request_id:
            headers["PayPal-Request-Id"] = request_id
        content = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
        try:
            reply = await self.http.request(method, path, content=content, headers=headers)
        except httpx.HTTPError as exc:
            raise GatewayUnavailable(f"PayPal did not answer: {exc}") from exc
        if reply.status_code == 401:
            self._token = ""
        if reply.status_code not in ok:
            raise GatewayUnavailable(f"PayPal answered {reply.status_code} to {method} {path}: {reply.text[:300]}")
        return reply.json() if reply.content else {}

    # -- setup -------------------------------------------------------------------------
    async def setup(self, plans: list[Plan]) -> list[RemotePlan]:
        found = await self._call("GET", f"/v1/catalogs/products/{PRODUCT_ID}", ok=(200, 404))
        if not found.get("id"):
            await self._call("POST", "/v1/catalogs/products", {
                "id": PRODUCT_ID, "name": f"{self.brand} books", "type": "SERVICE", "category": "SOFTWARE",
                "description": "AI-assisted book writing",
            }, request_id=f"buko-product-{PRODUCT_ID}")
        existing = await self._call("GET", f"/v1/billing/plans?product_id={PRODUCT_ID}&page_size=20&total_required=true")
        by_name = {p["name"]: p["id"] for p in existing.get("plans", ())}
        made = []
        for plan in plans:
            for (interval, currency), amount in sorted(plan.prices.items()):
                if currency not in self.currencies:
                    continue
                name = f"buko-{plan.code}-{interval}-{currency}"
                remote = by_name.get(name)
                if remote is None:
                    created = await self._call("POST", "/v1/billing/plans", {
                        "product_id": PRODUCT_ID, "name": name, "status": "ACTIVE",
                        "description": f"{self.brand} {plan.name}, billed every {interval}",
                        "billing_cycles": [{
                            "frequency": {"interval_unit": "MONTH" if interval == Interval.MONTH else "YEAR",
                                          "interval_count": 1},
                            "tenure_type": "REGULAR", "sequence": 1, "total_cycles": 0,
                            "pricing_scheme": {"fixed_price": {"value": f"{amount / 100:.2f}",
                                                               "currency_code": currency}},
                        }],
                        "payment_preferences": {"auto_bill_outstanding": True, "payment_failure_threshold": 3},
                    }, request_id=f"buko-plan-{name}")
                    remote = created["id"]
                made.append(RemotePlan(plan.code, interval, currency, remote))
        return made

    # -- subscriptions -------------------------------------------------------------------
    async def create_subscription(self, request: CheckoutRequest) -> Checkout:
        if not request.remote_plan_id:
            raise GatewayUnavailable("PayPal has no plan for this yet: run `buko billing setup`")
        created = await self._call("POST", "/v1/billing/subscriptions", {
            "plan_id": request.remote_plan_id, "custom_id": request.subscription_id,
            "subscriber": {"email_address": request.email},
            "application_context": {"brand_name": self.brand, "user_action": "SUBSCRIBE_NOW",
                                    "return_url": request.return_url, "cancel_url": request.cancel_url},
        }, request_id=f"buko-sub-{request.subscription_id}")
        approve = next((link["href"] for link in created.get("links", ()) if link.get("rel") == "approve"), "")
        if not approve:
            raise GatewayUnavailable("PayPal gave no approval link for the subscription")
        return Checkout(created["id"], approve)

    async def cancel_subscription(self, gateway_ref: str, reason: str) -> None:
        await self._call("POST", f"/v1/billing/subscriptions/{gateway_ref}/cancel", {"reason": reason[:127]},
                         ok=(204, 200, 422))  # 422: already cancelled there

    # -- webhooks ------------------------------------------------------------------------
    async def verify(self, delivery: WebhookDelivery, now: datetime) -> VerifiedEvent:
        h = delivery.headers
        needed = ("paypal-transmission-id", "paypal-transmission-time", "paypal-transmission-sig",
                  "paypal-cert-url", "paypal-auth-algo")
        missing = [name for name in needed if not h.get(name)]
        if missing:
            raise WebhookRefused(f"missing PayPal signature headers: {', '.join(missing)}")
        sent_at = parse_time(h["paypal-transmission-time"])
        if sent_at is None or abs(now - sent_at) > MAX_SKEW:
            raise WebhookRefused("the webhook's transmission time is too far from now")
        try:
            event = json.loads(delivery.body)
        except ValueError:
            raise WebhookRefused("the webhook body is not JSON") from None
        if not isinstance(event, dict) or not event.get("id") or not event.get("event_type"):
            raise WebhookRefused("the webhook body is not a PayPal event")
        # The event goes back to PayPal byte for byte: its signature covers a CRC32 of the exact body.
        head = json.dumps({"auth_algo": h["paypal-auth-algo"], "cert_url": h["paypal-cert-url"],
                           "transmission_id": h["paypal-transmission-id"],
                           "transmission_sig": h["paypal-transmission-sig"],
                           "transmission_time": h["paypal-transmission-time"], "webhook_id": self.webhook_id})
        body = head[:-1].encode() + b', "webhook_event": ' + delivery.body + b"}"
        verdict = await self._call("POST", "/v1/notifications/verify-webhook-signature", body)
        if verdict.get("verification_status") != "SUCCESS":
            raise WebhookRefused("PayPal did not confirm the webhook's signature")
        resource = event.get("resource") or {}
        return VerifiedEvent(str(event["id"]), str(event["event_type"]), str(resource.get("id", "")), event)

    async def resolve(self, event: PaymentEvent) -> list[ResolvedUpdate]:
        payload, kind = event.payload, event.event_type
        resource = payload.get("resource") or {}
        occurred = parse_time(payload.get("create_time")) or event.received_at
        if kind == "PAYMENT.SALE.COMPLETED":
            ref = resource.get("billing_agreement_id", "")
            if not ref:
                return []
            period_end = None
            current = await self._call("GET", f"/v1/billing/subscriptions/{ref}", ok=(200, 404))
            if current:
                period_end = parse_time((current.get("billing_info") or {}).get("next_billing_time"))
            amount = resource.get("amount") or {}
            update = GatewayUpdate(Change.PAYMENT_COMPLETED, occurred, period_end, str(resource.get("id", "")),
                                   minor_units(amount.get("total", "0")), amount.get("currency", ""))
            return [ResolvedUpdate(ref, update, resource.get("custom", ""))]
        change = SUBSCRIPTION_CHANGES.get(kind)
        if change is None:
            return []
        period_end = parse_time((resource.get("billing_info") or {}).get("next_billing_time"))
        return [ResolvedUpdate(resource.get("id", ""), GatewayUpdate(change, occurred, period_end),
                               resource.get("custom_id", ""))]
