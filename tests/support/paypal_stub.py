"""A local stand-in for the subset of PayPal's REST API that Buko uses, with PayPal's webhook
signature scheme: SHA256withRSA over `<transmission id>|<transmission time>|<webhook id>|<CRC32 of
the exact event body>`, checked by `POST /v1/notifications/verify-webhook-signature` against the
certificate at `cert_url` (which must be this server's)."""
from __future__ import annotations

import asyncio
import base64
import html
import json
import uuid
import zlib
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
import httpx2 as httpx
from quart import Quart, redirect, request

from tests.support.http_stub import LocalServer

CLIENT_ID, CLIENT_SECRET, WEBHOOK_ID = "buko-client", "buko-secret", "WH-BUKO-1"


class PayPalStub(LocalServer):
    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.products: dict = {}
        self.plans: dict = {}
        self.subscriptions: dict = {}
        self.calls: list[str] = []
        self.redirects: dict[str, tuple[str, str]] = {}  # subscription -> (return_url, cancel_url)
        self.webhook_url = ""  # where the hosted approval page sends its events (browser tests)
        self.webhook_delay = 0.0  # seconds after the buyer is sent back (PayPal's webhooks come later)
        self.deliveries: list[asyncio.Task] = []
        self.refuse_cancel: set[str] = set()  # subscriptions whose cancel PayPal refuses (e.g. awaiting approval)
        super().__init__(self._app())

    # -- what tests do -------------------------------------------------------------------
    def approve(self, sub_id: str) -> dict:
        sub = self.subscriptions[sub_id]
        sub["status"] = "ACTIVE"
        sub["billing_info"] = {"next_billing_time": _iso(datetime.now(UTC) + timedelta(days=30))}
        return sub

    def event(self, event_type: str, resource: dict, *, when: datetime | None = None, event_id: str = "") -> bytes:
        return json.dumps({"id": event_id or f"WH-{uuid.uuid4().hex[:17].upper()}", "event_version": "1.0",
                           "create_time": _iso(when or datetime.now(UTC)), "resource_type": "subscription",
                           "event_type": event_type, "summary": event_type, "resource": resource}).encode()

    def sale(self, sub_id: str, total: str = "49.00", currency: str = "USD") -> dict:
        return {"id": f"SALE-{uuid.uuid4().hex[:10]}", "state": "completed", "billing_agreement_id": sub_id,
                "amount": {"total": total, "currency": currency},
                "custom": self.subscriptions[sub_id].get("custom_id", "")}

    def charge_amount(self, sub_id: str) -> tuple[str, str]:
        """(total, currency) of one cycle of the subscription's plan."""
        price = self.plans[self.subscriptions[sub_id]["plan_id"]]["billing_cycles"][0]["pricing_scheme"]["fixed_price"]
        return price["value"], price["currency_code"]

    async def send(self, body: bytes) -> int:
        """Deliver a signed event to `webhook_url`, as PayPal does."""
        async with httpx.AsyncClient(timeout=30) as client:
            reply = await client.post(self.webhook_url, content=body, headers=self.sign(body))
        return reply.status_code

    def sign(self, body: bytes, *, webhook_id: str = WEBHOOK_ID, when: datetime | None = None,
             key=None) -> dict[str, str]:
        transmission_id, sent = str(uuid.uuid4()), _iso(when or datetime.now(UTC))
        message = f"{transmission_id}|{sent}|{webhook_id}|{zlib.crc32(body)}".encode()
        signature = (key or self.key).sign(message, padding.PKCS1v15(), hashes.SHA256())
        return {"PAYPAL-TRANSMISSION-ID": transmission_id, "PAYPAL-TRANSMISSION-TIME": sent,
                "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(), "PAYPAL-AUTH-ALGO": "SHA256withRSA",
                "PAYPAL-CERT-URL": f"{self.base_url}/v1/notifications/certs/CERT-1", "Content-Type": "application/json"}

    # -- the API -----------------------------------------------------------------------------
    def _app(self) -> Quart:
        app = Quart("paypal_stub")

        def authorized() -> bool:
            return request.headers.get("Authorization", "") == "Bearer A21-stub-token"

        @app.before_request
        async def record():
            self.calls.append(f"{request.method} {request.path}")
            if request.path not in ("/v1/oauth2/token",) and not request.path.startswith(
                    ("/v1/notifications/certs", "/checkoutnow")) and not authorized():
                return {"name": "AUTHENTICATION_FAILURE"}, 401

        @app.post("/v1/oauth2/token")
        async def token():
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            form = await request.form
            if request.headers.get("Authorization") != expected or form.get("grant_type") != "client_credentials":
                return {"error": "invalid_client"}, 401
            return {"access_token": "A21-stub-token", "token_type": "Bearer", "expires_in": 32400}

        @app.get("/v1/catalogs/products/<pid>")
        async def product(pid):
            return (self.products[pid], 200) if pid in self.products else ({"name": "RESOURCE_NOT_FOUND"}, 404)

        @app.post("/v1/catalogs/products")
        async def create_product():
            body = await request.get_json()
            self.products[body["id"]] = body
            return body, 201

        @app.get("/v1/billing/plans")
        async def list_plans():
            pid = request.args.get("product_id")
            found = [p for p in self.plans.values() if p["product_id"] == pid]
            return {"plans": found, "total_items": len(found)}

        @app.post("/v1/billing/plans")
        async def create_plan():
            body = await request.get_json()
            body["id"] = f"P-{uuid.uuid4().hex[:20].upper()}"
            self.plans[body["id"]] = body
            return body, 201

        @app.post("/v1/billing/subscriptions")
        async def create_subscription():
            body = await request.get_json()
            if body.get("plan_id") not in self.plans:
                return {"name": "RESOURCE_NOT_FOUND"}, 404
            sid = f"I-{uuid.uuid4().hex[:12].upper()}"
            context = body.get("application_context") or {}
            self.redirects[sid] = (context.get("return_url", ""), context.get("cancel_url", ""))
            self.subscriptions[sid] = {"id": sid, "status": "APPROVAL_PENDING", "plan_id": body["plan_id"],
                                       "custom_id": body.get("custom_id", ""),
                                       "links": [{"rel": "approve", "href": f"{self.base_url}/checkoutnow?ba_token={sid}"}]}
            return self.subscriptions[sid], 201

        @app.get("/v1/billing/subscriptions/<sid>")
        async def get_subscription(sid):
            return (self.subscriptions[sid], 200) if sid in self.subscriptions else ({"name": "RESOURCE_NOT_FOUND"}, 404)

        @app.post("/v1/billing/subscriptions/<sid>/cancel")
        async def cancel_subscription(sid):
            if sid not in self.subscriptions:
                return {"name": "RESOURCE_NOT_FOUND"}, 404
            if sid in self.refuse_cancel:
                return {"name": "UNPROCESSABLE_ENTITY", "details": [{"issue": "SUBSCRIPTION_STATUS_INVALID"}]}, 422
            self.subscriptions[sid]["status"] = "CANCELLED"
            return "", 204

        @app.get("/checkoutnow")
        async def approval_page():
            """The buyer's approval page (what www.paypal.com shows), reduced to two choices."""
            sid = request.args.get("ba_token", "")
            if sid not in self.subscriptions:
                return "unknown subscription", 404
            total, currency = self.charge_amount(sid)
            return (f"<!doctype html><html lang='en'><head><link rel='icon' href='data:,'><title>PayPal stand-in</title></head><body><main>"
                    f"<h1>Approve your subscription</h1><p id='amount'>{total} {currency} per cycle</p>"
                    f"<form method='post' action='/checkoutnow/{sid}/approve'>"
                    f"<button type='submit' id='approve'>Agree and subscribe</button></form>"
                    f"<p><a id='cancel' href='{html.escape(self.redirects[sid][1])}'>Cancel and return</a></p>"
                    f"</main></body></html>")

        @app.post("/checkoutnow/<sid>/approve")
        async def approve(sid):
            """Approve, tell Buko (subscription activated, first payment), send the buyer back."""
            if sid not in self.subscriptions:
                return "unknown subscription", 404
            resource = self.approve(sid)

            async def deliver():
                await asyncio.sleep(self.webhook_delay)
                await self.send(self.event("BILLING.SUBSCRIPTION.ACTIVATED", resource))
                await self.send(self.event("PAYMENT.SALE.COMPLETED", self.sale(sid, *self.charge_amount(sid))))

            self.deliveries.append(asyncio.create_task(deliver()))
            back = self.redirects[sid][0]
            return redirect(f"{back}{'&' if '?' in back else '?'}subscription_id={sid}&ba_token={sid}&token=EC-1", 303)

        @app.get("/v1/notifications/certs/<name>")
        async def cert(name):
            return self.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)

        @app.post("/v1/notifications/verify-webhook-signature")
        async def verify():
            raw = await request.get_data()
            marker = b'"webhook_event": '
            head = json.loads(raw[:raw.index(marker)].rstrip(b", ") + b"}")
            event_bytes = raw[raw.index(marker) + len(marker):-1]
            ok = head.get("cert_url", "").startswith(self.base_url) and head.get("auth_algo") == "SHA256withRSA"
            message = f"{head['transmission_id']}|{head['transmission_time']}|{head['webhook_id']}|" \
                      f"{zlib.crc32(event_bytes)}".encode()
            try:
                self.key.public_key().verify(base64.b64decode(head["transmission_sig"]), message,
                                             padding.PKCS1v15(), hashes.SHA256())
            except Exception:
                ok = False
            return {"verification_status": "SUCCESS" if ok else "FAILURE"}

        return app


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
