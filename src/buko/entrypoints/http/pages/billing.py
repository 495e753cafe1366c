"""Plans and billing pages: pricing, checkout at a gateway (then its return and cancel pages), the
author's billing page (status, next charge, cancel at the period's end, receipts). Over the same use
cases as /api/billing. And the page the address-verification mail links to (mail links lead to pages,
never to JSON).

The checkout form posts here, and the answer is a page that sends the browser on to the gateway
(a link, followed at once by a zero-delay refresh): the strict CSP's `form-action 'self'` would
block a form whose redirect leaves the site.
"""
from __future__ import annotations

from quart import Blueprint, redirect, request, url_for

from buko.application.billing.ports import GatewayNotConfigured, GatewayUnavailable
from buko.application.billing.subscriptions import StartCheckout, listed_plans
from buko.application.notifications import InvalidLink
from buko.domain.billing.plans import CATALOGUE, CURRENCIES, DEFAULT_PLAN, UnknownPlan
from buko.domain.errors import Conflict, NotFound
from buko.entrypoints.http.auth import caller
from buko.entrypoints.http.pages.i18n import _, lazy
from buko.entrypoints.http.pages.web import container, form, login_required, render, to, use_cases, user

bp = Blueprint("billing_pages", __name__)
INTERVALS = ("month", "year")
GATEWAY_NAMES = {"paypal": "PayPal", "mercadopago": "MercadoPago", "manual": lazy("Set by an administrator")}
STATUS_TEXT = {  # a subscription's status: its name, and what it means for the author
    "pending": (lazy("Waiting for payment"),
                lazy("The gateway has not confirmed the payment yet. This usually takes a few seconds.")),
    "active": (lazy("Active"), lazy("Your plan renews automatically at the end of each period.")),
    "past_due": (lazy("Payment failed"),
                 lazy("The last payment did not go through. The gateway will try again; update your payment "
                      "method there. You keep your plan during the grace period.")),
    "cancelled": (lazy("Cancelled"),
                  lazy("Nothing more will be charged. You keep the plan until the end of the period you paid for; "
                       "then your account returns to the Free plan.")),
    "expired": (lazy("Expired"),
                lazy("The subscription ended and your account is back on the Free plan. You can subscribe again "
                     "at any time.")),
    "abandoned": (lazy("Not completed"),
                  lazy("The payment was not approved at the gateway, so the subscription did not start and nothing "
                       "was charged. You can subscribe again at any time.")),
}


def _choice(value: str | None, allowed, default: str) -> str:
    value = (value or "").strip()
    return value if value in allowed else default


def _base_url() -> str:
    return container().settings().public_base_url.rstrip("/")


async def _pricing(status: int = 200, error: str = "", **chosen):
    checkouts = use_cases().checkouts()
    who = user()
    current_plan, subscription = "", None
    if who is not None:
        billing = await use_cases().billing().status(who.id)
        current_plan, subscription = billing.plan.code, billing.subscription
    fallback = subscription.currency if subscription is not None and subscription.currency in CURRENCIES else "USD"
    currency = _choice(chosen.get("currency") or request.args.get("currency"), CURRENCIES, fallback)
    interval = _choice(chosen.get("interval") or request.args.get("interval"), INTERVALS, "month")
    return render("pricing.html", status=status, error=error, plans=listed_plans(), currency=currency,
                  currencies=CURRENCIES, interval=interval, current_plan=current_plan,
                  gateways=checkouts.gateways_for(currency), any_gateway=bool(checkouts.gateways),
                  all_gateways={name: gw.currencies for name, gw in checkouts.gateways.items()},
                  gateway_names=GATEWAY_NAMES, section="pricing")


@bp.get("/pricing")
async def pricing():
    """Free / Author / Pro, per month or per year, in a chosen currency; the author's plan marked."""
    return await _pricing()


@bp.post("/billing/checkout")
@login_required
async def checkout():
    values = await form()
    plan, interval = values.get("plan", ""), _choice(values.get("interval"), INTERVALS, "month")
    currency, gateway = values.get("currency", "USD").upper()[:3], values.get("gateway", "")
    name = GATEWAY_NAMES.get(gateway, gateway)
    base = _base_url()
    try:
        started = await use_cases().checkouts().start(StartCheckout(
            caller().user.id, plan, interval, gateway, currency,
            f"{base}{url_for('billing_pages.returned')}", f"{base}{url_for('billing_pages.abandoned')}"))
    except GatewayNotConfigured:
        return await _pricing(409, _("Payments through %(gateway)s are not available here. Choose another "
                                     "payment method, or ask the site's administrator.", gateway=name),
                              currency=currency, interval=interval)
    except GatewayUnavailable:
        return await _pricing(502, _("%(gateway)s did not answer. Nothing was charged; please try again in a "
                                     "few minutes.", gateway=name), currency=currency, interval=interval)
    except UnknownPlan:
        return await _pricing(422, _("That plan cannot be bought that way. Choose a plan, a period and a "
                                     "currency from this page."), currency=currency, interval=interval)
    except Conflict:
        return await _pricing(409, _("You already have a paid subscription. To change plans, cancel it on "
                                     "your billing page first: it runs to the end of the period you paid for."),
                              currency=currency, interval=interval)
    return render("billing_redirect.html", approve_url=started.approve_url, gateway=name)


@bp.get("/billing/return")
@login_required
async def returned():
    """Where the gateway sends the author back: "being confirmed" until its webhook lands, or "nothing was
    charged" when the checkout turns out not approved (MercadoPago has no separate cancel link)."""
    subscription_id = request.args.get("subscription", "")
    billing = use_cases().billing()
    try:  # the gateway is asked by the page's polls, a moment after the author is back
        sub = await billing.follow_checkout(caller().user.id, subscription_id, ask_gateway=False)
    except NotFound:
        return render("billing_return.html", status=404, sub=None, **_texts())
    return render("billing_return.html", sub=sub, gateway=GATEWAY_NAMES.get(sub.gateway, sub.gateway),
                  poll_url=f"{url_for('billing.back_from_gateway')}?subscription={sub.id}", **_texts())


@bp.get("/billing/cancelled")
@login_required
async def abandoned():
    """Where the gateway sends the author who did not approve: nothing was charged."""
    return render("billing_cancelled.html")


@bp.get("/billing")
async def billing_short():
    """The link in billing mail."""
    return redirect(url_for("billing_pages.billing_page"), 303)


@bp.get("/account/billing")
@login_required
async def billing_page():
    status = await use_cases().billing().status(caller().user.id)
    return _billing(status)


def _texts() -> dict:
    return {"status_text": {k: (_(v[0]), _(v[1])) for k, v in STATUS_TEXT.items()}, "gateway_names": GATEWAY_NAMES}


def _billing(status, code: int = 200, error: str = ""):
    sub = status.subscription
    paid = sub is not None and sub.gateway != "manual"
    cancellable = sub is not None and sub.author_can_cancel
    return render("account_billing.html", status=code, error=error, billing=status, sub=sub, paid=paid,
                  cancellable=cancellable, now=container().core.clock().now(), **_texts())


@bp.get("/account/billing/cancel")
@login_required
async def confirm_cancel():
    status = await use_cases().billing().status(caller().user.id)
    sub = status.subscription
    if sub is None or not sub.author_can_cancel:
        return to("billing_pages.billing_page")
    return render("billing_cancel.html", billing=status, sub=sub, free=CATALOGUE[DEFAULT_PLAN])


@bp.post("/account/billing/cancel")
@login_required
async def cancel():
    billing = use_cases().billing()
    who = caller().user
    try:
        await billing.cancel(who.id)
    except (NotFound, Conflict):  # nothing to cancel any more (another tab did it): the page shows why
        return to("billing_pages.billing_page")
    except GatewayUnavailable:
        return _billing(await billing.status(who.id), 502, _(
            "The payment gateway did not answer, so nothing was changed. Please try again in a few minutes."))
    return to("billing_pages.billing_page", "subscription_cancelled")


@bp.get("/account/verify-email")
async def verify_email():
    """The link in the verification mail (no log-in needed: the signed token is the credential)."""
    try:
        await use_cases().email_verification().confirm(request.args.get("token", ""))
    except InvalidLink as invalid:
        expired = invalid.expired
        return render("email_verified.html", status=400, verified=False, message=_(
            "This confirmation link has expired: links work for 7 days. Your account works as before; to confirm "
            "the address, ask the site's administrator.") if expired
            else _("This confirmation link is not valid. Open the whole link from the email (some mail programs "
                   "split long links)."))
    return render("email_verified.html", verified=True, message=_("Your email address is confirmed. Thank you!"))
