"""MercadoPago end to end against a local stand-in: checkout, signed notifications, the resource
fetched from the API, payments and failures, cancel, and every refusal."""
from __future__ import annotations

import time

import pytest

from tests.integration.billing_app import app_for, billing_settings, eventually, register
from tests.integration.conftest_persistence import database_url, postgresql_url, sqlite_url  # noqa: F401
from tests.support import mercadopago_stub as mp


@pytest.fixture
async def env(database_url, tmp_path):
    async with mp.MercadoPagoStub() as stub:
        settings = billing_settings(database_url, tmp_path, mp_access_token=mp.ACCESS_TOKEN,
                                    mp_webhook_secret=mp.WEBHOOK_SECRET, mp_base_url=stub.base_url, mp_currency="ARS")
        container, app = app_for(settings)
        async with app.test_app() as test_app:
            yield container, test_app, stub


async def notify(test_app, delivery):
    query, headers, body = delivery
    return await test_app.test_client().post(f"/api/webhooks/mercadopago?{query}", data=body, headers=headers)


async def state(author):
    return await (await author.get("/api/billing")).get_json()


async def checkout(env):
    container, test_app, stub = env
    author = await register(test_app.test_client(), locale="es")
    reply = await author.post("/api/billing/checkout", {"plan": "author", "gateway": "mercadopago", "currency": "ARS"})
    assert reply.status_code == 201, await reply.get_data(as_text=True)
    pid = (await reply.get_json())["approve_url"].split("preapproval_id=")[1]
    assert stub.preapprovals[pid]["auto_recurring"]["transaction_amount"] == 19_000
    return author, pid


async def status_is(author, wanted):
    billing = await state(author)
    return billing if billing["subscription"]["status"] == wanted else None


async def test_authorize_pay_fail_and_cancel(env):
    container, test_app, stub = env
    author, pid = await checkout(env)
    stub.set_status(pid, "authorized")
    assert (await notify(test_app, stub.notification("subscription_preapproval", pid))).status_code == 200
    await eventually(lambda: status_is(author, "active"))
    assert (await state(author))["plan"] == "author"

    paid = stub.charge(pid)
    await notify(test_app, stub.notification("subscription_authorized_payment", paid))
    billing = await eventually(lambda: _invoices(author, 1))
    assert billing["invoices"][0]["amount"] == 1_900_000 and billing["invoices"][0]["currency"] == "ARS"

    failed = stub.charge(pid, approved=False)
    await notify(test_app, stub.notification("subscription_authorized_payment", failed))
    await eventually(lambda: status_is(author, "past_due"))

    reply = await author.post("/api/billing/cancel")
    assert reply.status_code == 200 and stub.preapprovals[pid]["status"] == "cancelled"
    assert (await reply.get_json())["subscription"]["status"] == "cancelled"


async def test_payload_is_never_trusted(env):
    """A validly signed notification only names a resource: what happens is what the API says."""
    container, test_app, stub = env
    author, pid = await checkout(env)
    await notify(test_app, stub.notification("subscription_preapproval", pid))  # still pending at the API
    await container.gateways.brokers()["architecture_high"].wait_all()
    assert (await state(author))["subscription"]["status"] == "pending"


async def test_refusals_change_nothing(env):
    container, test_app, stub = env
    author, pid = await checkout(env)
    stub.set_status(pid, "authorized")
    query, headers, body = stub.notification("subscription_preapproval", pid)
    forged = {**headers, "x-signature": headers["x-signature"][:-4] + "0000"}
    wrong = stub.notification("subscription_preapproval", pid, secret="not-the-secret")
    stale = stub.notification("subscription_preapproval", pid, ts=int((time.time() - 3600) * 1000))
    other_body = body.replace(pid.encode(), b"someoneelse")
    for delivery in ((query, forged, body), wrong, stale, (query, headers, other_body),
                     (query, {k: v for k, v in headers.items() if k != "x-signature"}, body),
                     (f"data.id=someoneelse&type=subscription_preapproval", headers, body)):
        reply = await notify(test_app, delivery)
        assert reply.status_code == 401, await reply.get_data(as_text=True)
    await container.gateways.brokers()["architecture_high"].wait_all()
    assert (await state(author))["subscription"]["status"] == "pending"


async def test_same_notification_five_times_is_applied_once(env):
    container, test_app, stub = env
    author, pid = await checkout(env)
    stub.set_status(pid, "authorized")
    await notify(test_app, stub.notification("subscription_preapproval", pid))
    await eventually(lambda: status_is(author, "active"))
    paid = stub.charge(pid)
    statuses = []
    for _ in range(5):
        reply = await notify(test_app, stub.notification("subscription_authorized_payment", paid, notification_id="42"))
        statuses.append((await reply.get_json())["status"])
    assert statuses == ["accepted"] + ["duplicate"] * 4
    await eventually(lambda: _invoices(author, 1))
    await container.gateways.brokers()["architecture_high"].wait_all()
    assert len((await state(author))["invoices"]) == 1


async def _invoices(author, n):
    billing = await state(author)
    return billing if len(billing["invoices"]) == n else None
