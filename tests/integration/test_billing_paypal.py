"""PayPal end to end against a local stand-in: setup, checkout, approval, verified webhooks applied by a
queued task, quota, payment failure with grace then expiry, cancel, and every refusal."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from buko.application.commands import CreateBook
from buko.domain.books.brief import Brief
from buko.domain.errors import QuotaExceeded
from tests.integration.billing_app import app_for, billing_settings, eventually, register
from tests.integration.conftest_persistence import database_url, postgresql_url, sqlite_url  # noqa: F401
from tests.support import paypal_stub as pp


@pytest.fixture
async def paypal():
    async with pp.PayPalStub() as stub:
        yield stub


@pytest.fixture
async def env(paypal, database_url, tmp_path):
    settings = billing_settings(database_url, tmp_path, paypal_client_id=pp.CLIENT_ID,
                                paypal_client_secret=pp.CLIENT_SECRET, paypal_webhook_id=pp.WEBHOOK_ID,
                                paypal_base_url=paypal.base_url, billing_grace_days=3)
    container, app = app_for(settings)
    async with app.test_app() as test_app:
        await container.use_cases.setup_billing()()
        yield container, test_app, paypal


async def status(author) -> dict:
    return await (await author.get("/api/billing")).get_json()


async def deliver(test_app, stub, body: bytes, headers: dict | None = None):
    """As the gateway sends it: no session, no cookies."""
    return await test_app.test_client().post("/api/webhooks/paypal", data=body, headers=headers or stub.sign(body))


async def subscribed(env):
    container, test_app, stub = env
    author = await register(test_app.test_client())
    reply = await author.post("/api/billing/checkout", {"plan": "pro", "gateway": "paypal", "currency": "USD"})
    assert reply.status_code == 201, await reply.get_data(as_text=True)
    checkout = await reply.get_json()
    sub_id = checkout["approve_url"].split("ba_token=")[1]
    assert (await status(author))["subscription"]["status"] == "pending"
    return author, sub_id


async def test_setup_is_idempotent(env):
    container, client, stub = env
    before = (dict(stub.products), dict(stub.plans))
    await container.use_cases.setup_billing()()
    assert (stub.products, stub.plans) == before
    assert len(stub.plans) == 8  # author and pro, month and year, USD and EUR


async def test_subscribe_approve_webhook_raises_quota_then_cancel(env):
    container, client, stub = env
    author, sub_id = await subscribed(env)
    resource = stub.approve(sub_id)
    reply = await deliver(client, stub, stub.event("BILLING.SUBSCRIPTION.ACTIVATED", resource))
    assert reply.status_code == 200 and (await reply.get_json())["status"] == "accepted"
    await eventually(lambda: _status_is(author, "active"))
    me = await (await author.get("/api/auth/me")).get_json()
    assert me["plan"]["plan"] == "pro" and me["plan"]["books_per_month"] == 20

    sale = stub.sale(sub_id)
    await deliver(client, stub, stub.event("PAYMENT.SALE.COMPLETED", sale))
    billing = await eventually(lambda: _with_invoice(author))
    assert billing["invoices"][0]["amount"] == 4900 and billing["invoices"][0]["payment_id"] == sale["id"]
    assert billing["next_charge_at"] is not None

    reply = await author.post("/api/billing/cancel")
    assert reply.status_code == 200
    body = await reply.get_json()
    assert stub.subscriptions[sub_id]["status"] == "CANCELLED"
    assert body["subscription"]["status"] == "cancelled" and body["access_until"] is not None
    assert body["plan"] == "pro"  # paid to the end of the period
    assert (await author.post("/api/billing/cancel")).status_code == 409  # already cancelled


async def test_payment_failed_past_due_then_expired_back_to_free(env):
    container, client, stub = env
    author, sub_id = await subscribed(env)
    await deliver(client, stub, stub.event("BILLING.SUBSCRIPTION.ACTIVATED", stub.approve(sub_id)))
    await eventually(lambda: _status_is(author, "active"))
    await deliver(client, stub, stub.event("BILLING.SUBSCRIPTION.PAYMENT.FAILED", stub.subscriptions[sub_id]))
    billing = await eventually(lambda: _status_is(author, "past_due"))
    assert billing["plan"] == "pro"  # within the grace period
    grace_until = datetime.fromisoformat(billing["subscription"]["grace_until"])
    assert timedelta(days=2.9) < grace_until - datetime.now(UTC) <= timedelta(days=3)

    webhooks = container.use_cases.webhooks()
    assert await webhooks.expire_overdue() == 0  # grace not over yet
    webhooks.clock = _Later(timedelta(days=3, minutes=1))
    assert await webhooks.expire_overdue() == 1
    billing = await status(author)
    assert billing["subscription"]["status"] == "expired" and billing["plan"] == "free"
    with pytest.raises(QuotaExceeded):
        await container.use_cases.create_book()(CreateBook(author.user_id, Brief(idea="Birds of the city",
                                                                                 target_words=50_000)))


async def test_refused_webhooks_change_nothing(env):
    container, client, stub = env
    author, sub_id = await subscribed(env)
    body = stub.event("BILLING.SUBSCRIPTION.ACTIVATED", stub.approve(sub_id))
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = stub.sign(body, key=other_key)
    wrong_secret = stub.sign(body, webhook_id="WH-SOMEONE-ELSE")
    stale = stub.sign(body, when=datetime.now(UTC) - timedelta(hours=1))
    changed = stub.sign(body)
    tampered = body.replace(b'"ACTIVE"', b'"ACTIVE" ')
    missing = {k: v for k, v in stub.sign(body).items() if k != "PAYPAL-TRANSMISSION-SIG"}
    for payload, headers in ((body, forged), (body, wrong_secret), (body, stale), (tampered, changed),
                             (body, missing), (b"not json", stub.sign(b"not json"))):
        reply = await deliver(client, stub, payload, headers)
        assert reply.status_code == 401, (headers, await reply.get_data(as_text=True))
        assert (await reply.get_json())["error"]["code"] == "invalid_signature"
    assert (await status(author))["subscription"]["status"] == "pending"
    async with container.core.uow() as uow:
        assert await uow.payment_events.unapplied(datetime.now(UTC) + timedelta(days=1)) == []


async def test_same_event_five_times_is_applied_once(env):
    container, client, stub = env
    author, sub_id = await subscribed(env)
    await deliver(client, stub, stub.event("BILLING.SUBSCRIPTION.ACTIVATED", stub.approve(sub_id)))
    await eventually(lambda: _status_is(author, "active"))
    body = stub.event("PAYMENT.SALE.COMPLETED", stub.sale(sub_id))
    answers = [(await (await deliver(client, stub, body)).get_json())["status"] for _ in range(5)]
    assert answers == ["accepted"] + ["duplicate"] * 4
    await eventually(lambda: _with_invoice(author))
    await container.gateways.brokers()["architecture_high"].wait_all()
    assert len((await status(author))["invoices"]) == 1
    async with container.core.uow() as uow:
        mails = await uow.outbox.due(datetime.now(UTC) + timedelta(days=1))
    # one receipt at most is still waiting (mail goes to the log here, so it is normally sent already)
    assert len([m for m in mails if m.kind == "payment_receipt"]) <= 1


async def test_events_in_reverse_order_end_in_the_right_state(env):
    container, client, stub = env
    author, sub_id = await subscribed(env)
    t0 = datetime.now(UTC) - timedelta(minutes=4)
    resource = stub.approve(sub_id)
    sale = stub.sale(sub_id)
    events = [stub.event("BILLING.SUBSCRIPTION.ACTIVATED", resource, when=t0),
              stub.event("PAYMENT.SALE.COMPLETED", sale, when=t0 + timedelta(minutes=1)),
              stub.event("BILLING.SUBSCRIPTION.PAYMENT.FAILED", resource, when=t0 + timedelta(minutes=2)),
              stub.event("BILLING.SUBSCRIPTION.CANCELLED", resource, when=t0 + timedelta(minutes=3))]
    for body in reversed(events):
        assert (await deliver(client, stub, body)).status_code == 200
        await container.gateways.brokers()["architecture_high"].wait_all()
    billing = await status(author)
    assert billing["subscription"]["status"] == "cancelled"
    assert [i["payment_id"] for i in billing["invoices"]] == [sale["id"]]


class _Later:
    def __init__(self, ahead: timedelta):
        self.ahead = ahead

    def now(self):
        return datetime.now(UTC) + self.ahead


async def _status_is(author, wanted: str):
    billing = await status(author)
    return billing if billing["subscription"] and billing["subscription"]["status"] == wanted else None


async def _with_invoice(author):
    billing = await status(author)
    return billing if billing["invoices"] else None


async def test_cli_billing_setup_creates_plans_once(paypal, tmp_path, monkeypatch, capsys):
    from buko.entrypoints.cli import main

    for name, value in {"PAYPAL_CLIENT_ID": pp.CLIENT_ID, "PAYPAL_CLIENT_SECRET": pp.CLIENT_SECRET,
                        "PAYPAL_WEBHOOK_ID": pp.WEBHOOK_ID, "PAYPAL_BASE_URL": paypal.base_url,
                        "BUKO_DATA_DIR": str(tmp_path), "DATABASE_URL": "", "REDIS_URL": ""}.items():
        monkeypatch.setenv(name, value)
    import asyncio

    assert await asyncio.to_thread(main, ["billing", "setup"]) == 0
    plans = dict(paypal.plans)
    assert await asyncio.to_thread(main, ["billing", "setup"]) == 0
    assert paypal.plans == plans and len(plans) == 8
    assert "paypal: 8 plan(s) ready" in capsys.readouterr().out
    monkeypatch.delenv("PAYPAL_CLIENT_ID")
    assert await asyncio.to_thread(main, ["billing", "setup"]) == 2
