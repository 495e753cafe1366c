"""Subscribing in a real browser: `buko serve` with PayPal and MercadoPago pointed at local stand-ins
(their approval pages, their signed webhooks sent a moment after the buyer is back, as the real ones
do). An author opens pricing, picks Author monthly with each gateway, approves at the stand-in, watches
the return page turn active by itself, finds the plan, the next charge and the receipt on the billing
page, cancels at the period's end; the admin sees the subscription and the revenue. And every billing
page answers sensibly where no gateway is configured. Screenshots go to test-output/browser/."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests.integration.browser.conftest import ADMIN_EMAIL, DESKTOP, free_port, serving
from tests.integration.browser.helpers import csrf, log_in, register
from tests.integration.browser.test_pages import check
from tests.support import mercadopago_stub as mp
from tests.support import paypal_stub as pp
from tests.support.http_stub import InThread

CHARGE = {"paypal": ("USD", "$19.00"), "mercadopago": ("ARS", "ARS19,000.00")}


@pytest.fixture(scope="module")
def gateways():
    with InThread(pp.PayPalStub()) as paypal, InThread(mp.MercadoPagoStub()) as mercadopago:
        paypal.webhook_delay = mercadopago.webhook_delay = 6.0
        yield {"paypal": paypal, "mercadopago": mercadopago}


@pytest.fixture(scope="module")
def billing_server(tmp_path_factory, gateways):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    paypal, mercadopago = gateways["paypal"], gateways["mercadopago"]
    paypal.webhook_url, mercadopago.webhook_url = f"{base}/api/webhooks/paypal", f"{base}/api/webhooks/mercadopago"
    env = {"BUKO_BASE_URL": base, "PAYPAL_CLIENT_ID": pp.CLIENT_ID, "PAYPAL_CLIENT_SECRET": pp.CLIENT_SECRET,
           "PAYPAL_WEBHOOK_ID": pp.WEBHOOK_ID, "PAYPAL_BASE_URL": paypal.base_url,
           "MP_ACCESS_TOKEN": mp.ACCESS_TOKEN, "MP_WEBHOOK_SECRET": mp.WEBHOOK_SECRET,
           "MP_BASE_URL": mercadopago.base_url, "MP_CURRENCY": "ARS"}
    with serving(tmp_path_factory.mktemp("billing"), env, port=port, setup=(["billing", "setup"],)) as running:
        yield running


@pytest.fixture
def billing_context(browser, billing_server):
    made = browser.new_context(base_url=billing_server[0], viewport=DESKTOP, locale="en-US")
    yield made
    made.close()


def _page(context) -> Page:
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    opened.console_errors = errors
    return opened


@pytest.mark.parametrize("gateway", ["paypal", "mercadopago"])
def test_subscribe_with_each_gateway_then_cancel_and_the_admin_sees_it(gateway, billing_context, gateways, browser,
                                                                        billing_server):
    stub = gateways[gateway]
    currency, price = CHARGE[gateway]
    page = _page(billing_context)
    email = register(page, name=f"Ana {gateway}")
    page.get_by_role("link", name="Plans and prices").click()
    page.wait_for_url(re.compile(r"/pricing"))
    page.locator("main nav[aria-label='Currency']").get_by_role("link", name=currency).click()
    page.locator("main nav[aria-label='Billing period']").get_by_role("link", name="Monthly").click()
    expect(page.locator("#plan-author [data-price]")).to_have_text(price)
    expect(page.locator("#plan-free #current-plan")).to_be_visible()
    check(page, f"20-pricing-{gateway}")

    if gateway == "paypal":  # first the author changes their mind at PayPal: nothing is charged
        page.locator(f"#subscribe-author-{gateway}").click()
        page.wait_for_url(re.compile(re.escape(stub.base_url)))
        page.locator("#cancel").click()
        page.wait_for_url(re.compile(r"/billing/cancelled"))
        expect(page.locator("#nothing-charged")).to_be_visible()
        check(page, "21-checkout-cancelled")
        page.get_by_role("link", name="Back to plans and prices").click()
        page.wait_for_url(re.compile(r"/pricing"))
        page.locator("main nav[aria-label='Currency']").get_by_role("link", name=currency).click()
    else:  # MercadoPago has no cancel link: the author backs out to the same return page
        page.locator(f"#subscribe-author-{gateway}").click()
        page.wait_for_url(re.compile(re.escape(stub.base_url)))
        page.locator("#back").click()
        page.wait_for_url(re.compile(r"/billing/return\?subscription=\w+"))
        expect(page.locator("#nothing-charged")).to_be_visible(timeout=30_000)  # by itself, after asking MercadoPago
        check(page, "21-checkout-backed-out-mercadopago")
        page.get_by_role("link", name="Back to plans and prices").click()
        page.wait_for_url(re.compile(r"/pricing"))
        page.locator("main nav[aria-label='Currency']").get_by_role("link", name=currency).click()

    page.locator(f"#subscribe-author-{gateway}").click()
    page.wait_for_url(re.compile(re.escape(stub.base_url)))  # the hand-off page sends the browser on at once
    expect(page.locator("#approve")).to_be_visible()
    page.locator("#approve").click()
    page.wait_for_url(re.compile(r"/billing/return\?subscription=\w+"))
    expect(page.locator("#confirming")).to_be_visible()  # the webhook has not landed yet
    check(page, f"22-return-confirming-{gateway}")
    expect(page.locator("#subscription-active")).to_have_text("Your Author plan is active", timeout=30_000)
    check(page, f"23-return-active-{gateway}")

    page.locator("header").get_by_role("link", name="Billing").click()
    expect(page.locator("#subscription-status")).to_have_attribute("data-status", "active")
    expect(page.locator("#plan-name")).to_have_text("Author")
    expect(page.locator("#next-charge")).to_contain_text(f"{price} on ")
    receipt = page.locator("#receipts tbody tr")
    expect(receipt).to_have_count(1)
    expect(receipt).to_contain_text(price)
    expect(receipt).to_contain_text("Paid")
    check(page, f"24-billing-active-{gateway}")

    page.locator("#cancel-subscription").click()
    expect(page.locator("h1")).to_have_text("Cancel your Author subscription?")
    check(page, f"25-billing-cancel-confirm-{gateway}")
    page.locator("#confirm-cancel").click()
    expect(page.locator("[role=status].notice")).to_contain_text("Your subscription was cancelled")
    expect(page.locator("#subscription-status")).to_have_attribute("data-status", "cancelled")
    expect(page.locator("#ends-on")).to_contain_text(re.compile(r"Your Author plan ends on \w+ \d+, \d{4}\."))
    expect(page.locator("#plan-name")).to_have_text("Author")  # paid to the end of the period
    check(page, f"26-billing-cancelled-{gateway}")
    assert page.console_errors == [], page.console_errors

    admin_context = browser.new_context(base_url=billing_server[0], viewport=DESKTOP, locale="en-US")
    try:
        admin = _page(admin_context)
        log_in(admin, ADMIN_EMAIL)
        admin.goto("/admin/billing")
        admin.locator("#f-gateway").select_option(gateway)
        admin.locator("#f-status").select_option("cancelled")
        admin.get_by_role("button", name="Filter").click()
        admin.wait_for_url(re.compile(rf"gateway={gateway}"))
        row = admin.locator("#subscriptions tbody tr", has_text=email)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Cancelled")
        month = datetime.now(UTC).strftime("%Y-%m")
        revenue = admin.locator(f'#revenue-by-month tr[data-month="{month}"][data-currency="{currency}"]')
        expect(revenue).to_have_count(1)
        check(admin, f"27-admin-billing-{gateway}")
        assert admin.console_errors == [], admin.console_errors
    finally:
        admin_context.close()


def test_billing_pages_with_no_gateway_configured(page: Page):
    check(page, "28-pricing-no-gateway", "/pricing")
    expect(page.locator("#no-gateway")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Subscribe with"))).to_have_count(0)
    register(page, name="Sin Pasarela")
    page.goto("/pricing?currency=EUR&interval=year")
    expect(page.locator("#no-gateway")).to_be_visible()
    expect(page.locator("#plan-author [data-price]")).to_have_text("€180.00")
    # a crafted checkout (no button offers it): a page that says so, not a 500
    answer = page.request.post("/billing/checkout", headers={"Accept": "text/html"}, form={
        "csrf_token": csrf(page), "plan": "author", "interval": "month", "currency": "USD", "gateway": "paypal"})
    assert answer.status == 409 and "Payments through PayPal are not available here" in answer.text()
    check(page, "29-billing-no-subscription", "/account/billing")
    expect(page.locator("#no-subscription")).to_be_visible()
    check(page, "30-checkout-cancelled-no-gateway", "/billing/cancelled")
    page.goto("/billing/return?subscription=not-mine")
    expect(page.locator("h1")).to_have_text("Subscription not found")
    page.locator("header button[value=es]").click()
    expect(page.locator("h1")).to_have_text("Suscripción no encontrada")
    check(page, "31-pricing-no-gateway-es", "/pricing")
    expect(page.locator("h1")).to_have_text("Planes y precios")
    check(page, "32-email-link-not-valid-es", "/account/verify-email?token=not-a-token")  # a mail's link, mangled
    expect(page.locator("h1")).to_have_text("La dirección no se confirmó")
    expect(page.locator("#email-not-verified")).to_contain_text("no es válido")
    expected = ("status of 404", "status of 400")
    assert not [e for e in page.console_errors if not any(x in e for x in expected)], page.console_errors
