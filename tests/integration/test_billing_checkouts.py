"""Checkouts that are not completed, against the gateways' local stand-ins and the test's database: a
checkout left pending past its TTL is abandoned (by the sweep, or when the author's billing is read)
and the author can subscribe again, while a late approval from the gateway still activates it; a
MercadoPago buyer who comes back without approving (a preapproval has only a back_url) sees "nothing
was charged" instead of waiting forever."""
from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from buko.adapters.persistence.tables import mail_outbox
from buko.application.billing.subscriptions import PENDING_CHECKOUT_TTL
from buko.entrypoints.worker.billing_duties import run_once
from tests.integration.billing_app import app_for, billing_settings, eventually, register
from tests.integration.conftest_persistence import database_url, postgresql_url, sqlite_url  # noqa: F401
from tests.support import mercadopago_stub as mp
from tests.support import paypal_stub as pp

HTML = {"Accept": "text/html"}


class Later:
    """A clock `ahead` of the real one (the gateways' stand-ins keep real time)."""

    def __init__(self, ahead: timedelta):
        self.ahead = ahead

    def now(self):
        return datetime.now(UTC) + self.ahead


@pytest.fixture
async def env(database_url, tmp_path):
    async with pp.PayPalStub() as paypal, mp.MercadoPagoStub() as mercadopago:
        settings = billing_settings(
            database_url, tmp_path, paypal_client_id=pp.CLIENT_ID, paypal_client_secret=pp.CLIENT_SECRET,
            paypal_webhook_id=pp.WEBHOOK_ID, paypal_base_url=paypal.base_url, mp_access_token=mp.ACCESS_TOKEN,
            mp_webhook_secret=mp.WEBHOOK_SECRET, mp_base_url=mercadopago.base_url, mp_currency="ARS")
        container, app = app_for(settings)
        async with app.test_app() as test_app:
            await container.use_cases.setup_billing()()
            yield container, test_app, paypal, mercadopago


async def billing(author) -> dict:
    return await (await author.get("/api/billing")).get_json()


async def page(author, path: str) -> str:
    reply = await author.client.get(path, headers=HTML)
    text = await reply.get_data(as_text=True)
    assert reply.status_code == 200, (path, reply.status_code, text[:2000])
    return html.unescape(text)


async def check_out(author, gateway: str, plan: str = "author") -> dict:
    currency = "ARS" if gateway == "mercadopago" else "USD"
    reply = await author.post("/api/billing/checkout", {"plan": plan, "gateway": gateway, "currency": currency})
    assert reply.status_code == 201, await reply.get_data(as_text=True)
    return await reply.get_json()


async def subscription(container, sub_id: str):
    async with container.core.uow() as uow:
        return await uow.subscriptions.get(sub_id)


async def mails(container, user_id: str) -> list[str]:
    """The kinds of every mail composed for the author (sent or not)."""
    async with container.core.uow() as uow:
        user = await uow.users.get(user_id)
        rows = await uow.session.execute(sa.select(mail_outbox.c.kind).where(mail_outbox.c.to == user.email))
        return sorted(rows.scalars())


async def test_the_sweep_abandons_a_left_checkout_and_a_late_approval_still_activates_it(env):
    container, test_app, paypal, _ = env
    author = await register(test_app.test_client())
    started = await check_out(author, "paypal", plan="pro")
    ours, theirs = started["subscription_id"], started["approve_url"].split("ba_token=")[1]
    assert (await run_once(container))["abandoned"] == 0  # just started: still waiting for the author

    container.use_cases.billing.add_kwargs(clock=Later(PENDING_CHECKOUT_TTL + timedelta(minutes=1)))
    try:  # the workers' periodic billing duties, 3 hours later
        assert (await run_once(container))["abandoned"] == 1
        assert (await run_once(container))["abandoned"] == 0  # once
    finally:
        container.use_cases.billing.add_kwargs(clock=container.core.clock)
    state = await billing(author)
    assert state["subscription"]["status"] == "abandoned" and state["plan"] == "free"
    answer = await (await author.get(f"/api/billing/return?subscription={ours}")).get_json()
    assert answer["status"] == "not_completed"
    text = await page(author, "/account/billing")
    assert 'data-status="abandoned"' in text and "nothing was charged" in text
    text = await page(author, f"/billing/return?subscription={ours}")
    assert 'id="nothing-charged"' in text and 'id="confirming"' not in text

    # The author had approved at PayPal after all; its webhook arrives late: the money is not ignored.
    resource = paypal.approve(theirs)
    reply = await test_app.test_client().post("/api/webhooks/paypal", data=(body := paypal.event(
        "BILLING.SUBSCRIPTION.ACTIVATED", resource)), headers=paypal.sign(body))
    assert reply.status_code == 200
    sale = paypal.sale(theirs)
    body = paypal.event("PAYMENT.SALE.COMPLETED", sale)
    await test_app.test_client().post("/api/webhooks/paypal", data=body, headers=paypal.sign(body))
    state = await eventually(lambda: _invoiced(author))
    assert state["subscription"]["id"] == ours and state["subscription"]["status"] == "active"
    assert state["plan"] == "pro" and state["invoices"][0]["payment_id"] == sale["id"]
    assert (await subscription(container, ours)).ended_at is None
    await container.gateways.brokers()["emails_low"].wait_all()
    # a receipt; an abandoned checkout never "ends" a subscription
    assert await mails(container, author.user_id) == ["payment_receipt", "verify_email"]


async def test_reading_billing_abandons_a_stale_checkout_and_the_author_subscribes_again(env):
    container, test_app, paypal, _ = env
    author = await register(test_app.test_client())
    first = (await check_out(author, "paypal"))["subscription_id"]
    assert (await billing(author))["subscription"]["status"] == "pending"
    later = Later(PENDING_CHECKOUT_TTL + timedelta(minutes=5))
    container.use_cases.billing.add_kwargs(clock=later)
    container.use_cases.checkouts.add_kwargs(clock=later)
    try:
        state = await billing(author)  # no sweep ran: read lazily, and recorded
        assert state["subscription"]["id"] == first and state["subscription"]["status"] == "abandoned"
        assert (await subscription(container, first)).status.value == "abandoned"
        text = await page(author, "/account/billing")
        assert "Not completed" in text and "Subscribe again" in text

        second = (await check_out(author, "paypal", plan="pro"))["subscription_id"]
        assert second != first
        state = await billing(author)
        assert state["subscription"]["id"] == second and state["subscription"]["status"] == "pending"
    finally:
        container.use_cases.billing.add_kwargs(clock=container.core.clock)
        container.use_cases.checkouts.add_kwargs(clock=container.core.clock)

    # that one is approved and paid: the earlier attempt is shown as what it was
    async with container.core.uow() as uow:
        sub = await uow.subscriptions.get(second)
    paypal_ref = sub.gateway_ref
    body = paypal.event("BILLING.SUBSCRIPTION.ACTIVATED", paypal.approve(paypal_ref))
    await test_app.test_client().post("/api/webhooks/paypal", data=body, headers=paypal.sign(body))
    await eventually(lambda: _status_is(author, "active"))
    assert (await billing(author))["plan"] == "pro"


async def test_a_mercadopago_buyer_who_backs_out_sees_nothing_was_charged(env):
    container, test_app, _, mercadopago = env
    author = await register(test_app.test_client(), locale="es")
    started = await check_out(author, "mercadopago")
    ours, pid = started["subscription_id"], started["approve_url"].split("preapproval_id=")[1]
    # The stand-in's checkout page has a way back to the site that does not approve.
    stand_in = await _get(mercadopago, f"/subscriptions/checkout?preapproval_id={pid}")
    back = html.unescape(stand_in.split("id='back' href='")[1].split("'")[0])
    assert back == f"http://buko.test/billing/return?subscription={ours}&preapproval_id={pid}"

    path = back.removeprefix("http://buko.test")
    text = await page(author, path)
    assert 'id="confirming"' in text  # the gateway is asked by the page's first poll, a moment later
    answer = await (await author.get(f"/api/billing/return?subscription={ours}")).get_json()
    assert answer["status"] == "not_completed" and answer["subscription"]["status"] == "abandoned"
    text = await page(author, path)
    assert 'id="nothing-charged"' in text and "no se cobró nada" in text.lower()
    assert mercadopago.preapprovals[pid]["status"] == "pending"  # nothing was changed at the gateway

    # and if the buyer goes back and approves after all, the notification activates it
    mercadopago.set_status(pid, "authorized")
    query, headers, body = mercadopago.notification("subscription_preapproval", pid)
    await test_app.test_client().post(f"/api/webhooks/mercadopago?{query}", data=body, headers=headers)
    await eventually(lambda: _status_is(author, "active"))


async def test_a_mercadopago_return_after_approving_keeps_waiting_for_the_notification(env):
    container, test_app, _, mercadopago = env
    for status, expected in (("authorized", "processing"), ("cancelled", "not_completed")):
        author = await register(test_app.test_client())
        started = await check_out(author, "mercadopago")
        pid = started["approve_url"].split("preapproval_id=")[1]
        mercadopago.set_status(pid, status)
        answer = await (await author.get(f"/api/billing/return?subscription={started['subscription_id']}")).get_json()
        assert answer["status"] == expected, (status, answer)
    assert (await billing(author))["plan"] == "free"


async def test_mercadopago_unreachable_at_the_return_changes_nothing(env):
    container, test_app, _, mercadopago = env
    author = await register(test_app.test_client())
    started = await check_out(author, "mercadopago")
    mercadopago.preapprovals.clear()  # the API answers 404 for it: cannot tell, so keep waiting
    answer = await (await author.get(f"/api/billing/return?subscription={started['subscription_id']}")).get_json()
    assert answer["status"] == "processing" and answer["subscription"]["status"] == "pending"


async def _get(stub, path: str) -> str:
    import httpx2 as httpx

    async with httpx.AsyncClient() as client:
        reply = await client.get(f"{stub.base_url}{path}")
    assert reply.status_code == 200
    return reply.text


async def _status_is(author, wanted: str):
    state = await billing(author)
    return state if state["subscription"] and state["subscription"]["status"] == wanted else None


async def _invoiced(author):
    state = await billing(author)
    return state if state["invoices"] else None


async def test_the_billing_page_tells_of_a_checkout_not_completed_beside_the_plan_in_force(env):
    """An account on a plan set by an administrator tries a paid checkout and backs out."""
    from buko.application.commands import Subscribe

    container, test_app, _, mercadopago = env
    author = await register(test_app.test_client())
    await container.use_cases.subscribe()(Subscribe(author.user_id, "pro"))
    started = await check_out(author, "mercadopago")
    answer = await (await author.get(f"/api/billing/return?subscription={started['subscription_id']}")).get_json()
    assert answer["status"] == "not_completed"
    state = await billing(author)
    assert state["plan"] == "pro" and state["subscription"]["gateway"] == "manual"
    text = await page(author, "/account/billing")
    assert 'id="checkout-abandoned"' in text and "Your Author checkout of" in text and "through MercadoPago" in text


async def _activate(test_app, paypal, theirs: str) -> None:
    """The author approves at PayPal: the subscription is activated and its first payment taken."""
    resource = paypal.approve(theirs)
    body = paypal.event("BILLING.SUBSCRIPTION.ACTIVATED", resource)
    assert (await test_app.test_client().post("/api/webhooks/paypal", data=body, headers=paypal.sign(body))).status_code == 200
    body = paypal.event("PAYMENT.SALE.COMPLETED", paypal.sale(theirs))
    assert (await test_app.test_client().post("/api/webhooks/paypal", data=body, headers=paypal.sign(body))).status_code == 200


async def test_a_new_checkout_cancels_the_earlier_one_at_the_gateway(env):
    container, test_app, paypal, _ = env
    author = await register(test_app.test_client())
    first = await check_out(author, "paypal")
    first_ref = first["approve_url"].split("ba_token=")[1]
    second = await check_out(author, "paypal", plan="pro")
    assert paypal.subscriptions[first_ref]["status"] == "CANCELLED"  # approving it now cannot charge
    assert (await subscription(container, first["subscription_id"])).status.value == "abandoned"
    state = await billing(author)
    assert state["subscription"]["id"] == second["subscription_id"] and state["subscription"]["status"] == "pending"


async def test_two_checkouts_both_approved_leave_one_subscription_charging(env):
    container, test_app, paypal, _ = env
    author = await register(test_app.test_client())
    first = await check_out(author, "paypal")
    first_ref = first["approve_url"].split("ba_token=")[1]
    paypal.refuse_cancel.add(first_ref)  # PayPal would not cancel it: both can be approved
    second = await check_out(author, "paypal", plan="pro")
    second_ref = second["approve_url"].split("ba_token=")[1]
    await _activate(test_app, paypal, first_ref)
    await eventually(lambda: _has_status(container, first["subscription_id"], "active"))
    await _activate(test_app, paypal, second_ref)
    await eventually(lambda: _has_status(container, second["subscription_id"], "cancelled"))
    assert paypal.subscriptions[second_ref]["status"] == "CANCELLED"  # the second never charges again
    assert paypal.subscriptions[first_ref]["status"] == "ACTIVE"
    assert (await subscription(container, first["subscription_id"])).status.value == "active"
    await container.gateways.brokers()["emails_low"].wait_all()
    assert "subscription_ending" not in await mails(container, author.user_id)


async def _has_status(container, sub_id: str, status: str):
    found = await subscription(container, sub_id)
    return found if found.status.value == status else None
