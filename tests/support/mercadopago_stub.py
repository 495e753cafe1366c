"""A local stand-in for the subset of MercadoPago's API that Buko uses (preapproval, authorized
payments), and MercadoPago's webhook signature: `x-signature: ts=<ts>,v1=<HMAC-SHA256 hex>` over
`id:<data.id>;request-id:<x-request-id>;ts:<ts>;` with the webhook secret."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx2 as httpx
from quart import Quart, redirect, request

from tests.support.http_stub import LocalServer

ACCESS_TOKEN, WEBHOOK_SECRET = "APP_USR-stub", "mp-webhook-secret"


class MercadoPagoStub(LocalServer):
    def __init__(self):
        self.preapprovals: dict = {}
        self.charges: dict = {}
        self.webhook_url = ""  # where the hosted checkout sends its notifications (browser tests)
        self.webhook_delay = 0.0  # seconds after the buyer is sent back
        self.deliveries: list[asyncio.Task] = []
        super().__init__(self._app())

    def set_status(self, pid: str, status: str, modified: datetime | None = None) -> None:
        p = self.preapprovals[pid]
        p["status"] = status
        p["last_modified"] = _iso(modified or datetime.now(UTC))
        p["next_payment_date"] = _iso(datetime.now(UTC) + timedelta(days=30))

    def charge(self, pid: str, approved: bool = True) -> str:
        cid = str(uuid.uuid4().int % 10**10)
        p = self.preapprovals[pid]
        self.charges[cid] = {"id": int(cid), "preapproval_id": pid, "status": "processed",
                             "transaction_amount": p["auto_recurring"]["transaction_amount"],
                             "currency_id": p["auto_recurring"]["currency_id"], "last_modified": _iso(datetime.now(UTC)),
                             "payment": {"id": int(cid) + 1, "status": "approved" if approved else "rejected"}}
        return cid

    def notification(self, kind: str, data_id: str, *, secret: str = WEBHOOK_SECRET, ts: int | None = None,
                     notification_id: str = "") -> tuple[str, dict, bytes]:
        """(query string, headers, body) of one delivery, signed as MercadoPago signs it."""
        ts = ts if ts is not None else int(time.time() * 1000)
        request_id = str(uuid.uuid4())
        manifest = f"id:{data_id.lower() if data_id.isalnum() else data_id};request-id:{request_id};ts:{ts};"
        v1 = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
        body = json.dumps({"id": notification_id or str(uuid.uuid4().int)[:12], "type": kind, "action": "updated",
                           "date_created": _iso(datetime.now(UTC)), "data": {"id": data_id}}).encode()
        return (f"data.id={data_id}&type={kind}", {"x-signature": f"ts={ts},v1={v1}", "x-request-id": request_id,
                                                   "Content-Type": "application/json"}, body)

    async def send(self, kind: str, data_id: str) -> int:
        """Deliver a signed notification to `webhook_url`, as MercadoPago does."""
        query, headers, body = self.notification(kind, data_id)
        async with httpx.AsyncClient(timeout=30) as client:
            reply = await client.post(f"{self.webhook_url}?{query}", content=body, headers=headers)
        return reply.status_code

    def _app(self) -> Quart:
        app = Quart("mercadopago_stub")

        @app.before_request
        async def authorized():
            if request.path.startswith("/subscriptions/checkout"):
                return None  # the buyer's pages
            if request.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
                return {"message": "invalid access token", "status": 401}, 401

        @app.post("/preapproval")
        async def create():
            body = await request.get_json()
            pid = uuid.uuid4().hex[:20]
            self.preapprovals[pid] = {**body, "id": pid, "status": "pending", "last_modified": _iso(datetime.now(UTC)),
                                      "init_point": f"{self.base_url}/subscriptions/checkout?preapproval_id={pid}"}
            return self.preapprovals[pid], 201

        @app.get("/preapproval/<pid>")
        async def get(pid):
            return (self.preapprovals[pid], 200) if pid in self.preapprovals else ({"message": "not found"}, 404)

        @app.put("/preapproval/<pid>")
        async def update(pid):
            if pid not in self.preapprovals:
                return {"message": "not found"}, 404
            self.set_status(pid, (await request.get_json())["status"])
            return self.preapprovals[pid]

        @app.get("/subscriptions/checkout")
        async def checkout_page():
            """The buyer's checkout (what www.mercadopago.com.ar shows), reduced to one choice."""
            pid = request.args.get("preapproval_id", "")
            if pid not in self.preapprovals:
                return "unknown subscription", 404
            recurring = self.preapprovals[pid]["auto_recurring"]
            back = html.escape(_back(self.preapprovals[pid]["back_url"], pid), quote=True)
            return (f"<!doctype html><html lang='es'><head><link rel='icon' href='data:,'><title>MercadoPago stand-in</title></head><body><main>"
                    f"<h1>Suscribirse</h1><p id='amount'>{recurring['transaction_amount']} "
                    f"{recurring['currency_id']}</p><form method='post' action='/subscriptions/checkout/{pid}/approve'>"
                    f"<button type='submit' id='approve'>Confirmar</button></form>"
                    # MercadoPago has no cancel URL: a buyer who backs out comes back to the same back_url,
                    # with the preapproval still pending.
                    f"<a id='back' href='{back}'>Volver al sitio</a></main></body></html>")

        @app.post("/subscriptions/checkout/<pid>/approve")
        async def approve(pid):
            """Authorize, charge the first payment, notify Buko of both, send the buyer back."""
            if pid not in self.preapprovals:
                return "unknown subscription", 404
            self.set_status(pid, "authorized")
            charge = self.charge(pid)

            async def deliver():
                await asyncio.sleep(self.webhook_delay)
                await self.send("subscription_preapproval", pid)
                await self.send("subscription_authorized_payment", charge)

            self.deliveries.append(asyncio.create_task(deliver()))
            return redirect(_back(self.preapprovals[pid]["back_url"], pid), 303)

        @app.get("/authorized_payments/<cid>")
        async def charge(cid):
            return (self.charges[cid], 200) if cid in self.charges else ({"message": "not found"}, 404)

        return app


def _back(back_url: str, pid: str) -> str:
    return f"{back_url}{'&' if '?' in back_url else '?'}preapproval_id={pid}"


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds")
