"""The billing pages over the real use cases, both gateways' local stand-ins and the test's database:
pricing (prices per currency and period, the gateways that charge in it, the plan marked), checkout ->
the page that sends the browser on to the gateway, the return page before and after the webhook, the
billing page (next charge, receipt, cancel at the period's end), the admin's subscriptions and revenue,
and every page with no gateway configured."""
from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest

from buko.application.commands import MakeAdmin
from tests.integration.billing_app import app_for, billing_settings, eventually, register
from tests.integration.conftest_persistence import database_url, postgresql_url, sqlite_url  # noqa: F401
from tests.support import mercadopago_stub as mp
from tests.support import paypal_stub as pp

HTML = {"Accept": "text/html"}


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


async def page(author, path: str, status: int = 200) -> str:
    reply = await author.client.get(path, headers=HTML)
    text = await reply.get_data(as_text=True)
    assert reply.status_code == status, (path, reply.status_code, text[:2000])
    return text


async def submit(author, path: str, fields: dict):
    return await author.client.post(path, form={"csrf_token": author.csrf, **fields}, headers=HTML)


def approve_url(text: str) -> str:
    found = re.search(r'id="approve-link" href="([^"]+)"', text)
    assert found, text[:3000]
    return html.unescape(found.group(1))


async def check_out(author, plan: str, currency: str, gateway: str) -> tuple[str, str]:
    """Checkout through the pricing page's form; returns (the gateway's approve URL, our subscription id)."""
    reply = await submit(author, "/billing/checkout", {"plan": plan, "interval": "month", "currency": currency,
                                                       "gateway": gateway})
    text = await reply.get_data(as_text=True)
    assert reply.status_code == 200, text[:2000]
    url = approve_url(text)
    assert f'content="0; url={html.escape(url)}"' in text  # sent on at once, no script needed
    billing = await (await author.get("/api/billing")).get_json()
    return url, billing["subscription"]["id"]


async def admin_client(container, test_app):
    admin = await register(test_app.test_client())
    async with container.core.uow() as uow:
        email = (await uow.users.get(admin.user_id)).email
    await container.use_cases.account_admin().make_admin(MakeAdmin(email))
    return admin


async def test_paypal_pricing_checkout_return_billing_cancel_and_admin(env):
    container, test_app, paypal, _mp = env
    author = await register(test_app.test_client())
    pricing = await page(author, "/pricing?currency=USD")
    assert 'id="subscribe-author-paypal"' in pricing and 'id="subscribe-author-mercadopago"' not in pricing
    assert "$19.00" in pricing and "$49.00" in pricing and 'id="current-plan"' in pricing  # Free is marked
    yearly = await page(author, "/pricing?currency=EUR&interval=year")
    assert "€180.00" in yearly and "€450.00" in yearly

    url, sub_id = await check_out(author, "author", "USD", "paypal")
    assert url.startswith(paypal.base_url) and "ba_token=" in url
    remote = url.split("ba_token=")[1]
    assert paypal.redirects[remote][0] == f"http://buko.test/billing/return?subscription={sub_id}"
    waiting = await page(author, f"/billing/return?subscription={sub_id}")
    assert 'id="confirming"' in waiting and f"/api/billing/return?subscription={sub_id}" in waiting
    assert (await (await author.get(f"/api/billing/return?subscription={sub_id}")).get_json())["status"] == "processing"

    for body in (paypal.event("BILLING.SUBSCRIPTION.ACTIVATED", paypal.approve(remote)),
                 paypal.event("PAYMENT.SALE.COMPLETED", paypal.sale(remote, *paypal.charge_amount(remote)))):
        reply = await test_app.test_client().post("/api/webhooks/paypal", data=body, headers=paypal.sign(body))
        assert reply.status_code == 200
    await eventually(lambda: _invoiced(author))
    assert (await (await author.get(f"/api/billing/return?subscription={sub_id}")).get_json())["status"] == "active"
    active = await page(author, f"/billing/return?subscription={sub_id}")
    assert 'id="subscription-active"' in active and "Your Author plan is active" in active

    mailed = await author.client.get("/billing", headers=HTML)  # the link in billing mail
    assert mailed.status_code == 303 and mailed.headers["Location"].endswith("/account/billing")
    billing = await page(author, "/account/billing")
    assert 'data-status="active"' in billing and 'id="next-charge"' in billing
    next_charge = re.search(r'id="next-charge">([^<]+)<', billing).group(1)
    assert next_charge.startswith("$19.00 on ")
    receipts = billing[billing.index('id="receipts"'):]
    assert "$19.00" in receipts and "Paid" in receipts and "SALE-" in receipts
    assert 'id="current-plan"' in (await page(author, "/pricing"))[(await page(author, "/pricing")).index('id="plan-author"'):]

    confirm = await page(author, "/account/billing/cancel")
    assert "Cancel your Author subscription?" in confirm
    reply = await submit(author, "/account/billing/cancel", {})
    assert reply.status_code == 303 and reply.headers["Location"].endswith("notice=subscription_cancelled")
    assert paypal.subscriptions[remote]["status"] == "CANCELLED"
    cancelled = await page(author, "/account/billing?notice=subscription_cancelled")
    assert 'data-status="cancelled"' in cancelled and "Your Author plan ends on" in cancelled
    assert 'id="cancel-subscription"' not in cancelled
    again = await submit(author, "/account/billing/cancel", {})  # a second tab: nothing to do, no error
    assert again.status_code == 303

    admin = await admin_client(container, test_app)
    async with container.core.uow() as uow:
        email = (await uow.users.get(author.user_id)).email
    listed = await page(admin, "/admin/billing?gateway=paypal&status=cancelled")
    assert email in listed and f'data-subscription="{sub_id}"' in listed
    assert email not in await page(admin, "/admin/billing?gateway=mercadopago")
    month = datetime.now(UTC).strftime("%Y-%m")
    assert f'data-month="{month}" data-currency="USD"' in listed
    api = await (await admin.get("/api/admin/subscriptions?gateway=paypal")).get_json()
    assert [s["email"] for s in api["subscriptions"]] == [email]
    assert api["revenue_last_30_days"] == {"USD": 1900}
    assert api["revenue_by_month"] == [{"month": month, "currency": "USD", "amount": 1900, "payments": 1}]
    assert (await author.get("/admin/billing")).status_code == 403


async def test_mercadopago_checkout_return_and_receipt(env):
    container, test_app, _pp, mercadopago = env
    author = await register(test_app.test_client(), locale="es")
    pricing = await page(author, "/pricing?currency=ARS")
    assert 'id="subscribe-pro-mercadopago"' in pricing and 'id="subscribe-pro-paypal"' not in pricing
    assert "Suscribirse con MercadoPago" in pricing
    url, sub_id = await check_out(author, "pro", "ARS", "mercadopago")
    pid = url.split("preapproval_id=")[1]
    assert mercadopago.preapprovals[pid]["back_url"] == f"http://buko.test/billing/return?subscription={sub_id}"
    assert "Tu pago se está confirmando" in await page(author, f"/billing/return?subscription={sub_id}")

    mercadopago.set_status(pid, "authorized")
    for kind, data_id in (("subscription_preapproval", pid), ("subscription_authorized_payment", mercadopago.charge(pid))):
        query, headers, body = mercadopago.notification(kind, data_id)
        reply = await test_app.test_client().post(f"/api/webhooks/mercadopago?{query}", data=body, headers=headers)
        assert reply.status_code == 200
    await eventually(lambda: _invoiced(author))
    billing = await page(author, "/account/billing")
    assert 'data-status="active"' in billing and "Próximo cargo" in billing
    assert "49.000,00" in billing[billing.index('id="receipts"'):]


async def test_someone_elses_return_page_is_a_404(env):
    container, test_app, paypal, _mp = env
    author = await register(test_app.test_client())
    _url, sub_id = await check_out(author, "author", "USD", "paypal")
    stranger = await register(test_app.test_client())
    assert 'id="confirming"' not in await page(stranger, f"/billing/return?subscription={sub_id}", 404)
    assert (await stranger.get(f"/api/billing/return?subscription={sub_id}")).status_code == 404


async def test_refusals_are_pages_that_say_what_to_do(env):
    container, test_app, paypal, _mp = env
    author = await register(test_app.test_client())
    reply = await submit(author, "/billing/checkout", {"plan": "author", "interval": "month", "currency": "ARS",
                                                       "gateway": "paypal"})
    assert reply.status_code == 422 and "cannot be bought that way" in await reply.get_data(as_text=True)
    reply = await submit(author, "/billing/checkout", {"plan": "studio", "interval": "month", "currency": "USD",
                                                       "gateway": "paypal"})
    assert reply.status_code == 422
    await check_out(author, "author", "USD", "paypal")
    body = paypal.event("BILLING.SUBSCRIPTION.ACTIVATED", paypal.approve(next(iter(paypal.subscriptions))))
    await test_app.test_client().post("/api/webhooks/paypal", data=body, headers=paypal.sign(body))
    await eventually(lambda: _status(author, "active"))
    reply = await submit(author, "/billing/checkout", {"plan": "pro", "interval": "month", "currency": "USD",
                                                       "gateway": "paypal"})
    assert reply.status_code == 409 and "cancel it on your billing page first" in await reply.get_data(as_text=True)
    missing_csrf = await author.client.post("/billing/checkout", form={"plan": "pro", "gateway": "paypal"},
                                            headers=HTML)
    assert missing_csrf.status_code == 403


async def test_every_billing_page_answers_with_no_gateway_configured(tmp_path):
    settings = billing_settings("", tmp_path)
    container, app = app_for(settings)
    async with app.test_app() as test_app:
        visitor = test_app.test_client()
        reply = await visitor.get("/pricing", headers=HTML)
        text = await reply.get_data(as_text=True)
        assert reply.status_code == 200 and 'id="no-gateway"' in text and "Subscribe with" not in text
        author = await register(test_app.test_client())
        assert 'id="no-gateway"' in await page(author, "/pricing?currency=EUR")
        reply = await submit(author, "/billing/checkout", {"plan": "author", "interval": "month", "currency": "USD",
                                                           "gateway": "paypal"})
        text = await reply.get_data(as_text=True)
        assert reply.status_code == 409 and "Payments through PayPal are not available here" in text
        billing = await page(author, "/account/billing")
        assert 'id="no-subscription"' in billing and 'id="no-receipts"' in billing
        assert "Nothing was charged" in await page(author, "/billing/cancelled")
        await page(author, "/billing/return?subscription=nope", 404)
        reply = await author.client.get("/account/billing/cancel", headers=HTML)
        assert reply.status_code == 303  # nothing to cancel: back to the billing page
        admin = await admin_client(container, test_app)
        assert "No subscriptions match." in await page(admin, "/admin/billing")
        assert (await (await author.get("/api/billing/plans")).get_json())["gateways"] == []


async def _invoiced(author):
    billing = await (await author.get("/api/billing")).get_json()
    return billing if billing["invoices"] and billing["subscription"]["status"] == "active" else None


async def _status(author, wanted):
    billing = await (await author.get("/api/billing")).get_json()
    return billing if billing["subscription"] and billing["subscription"]["status"] == wanted else None
