"""Billing: plans and prices, checkout at a gateway (then its return/cancel), my subscription and
receipts, cancel; for administrators, every subscription and the revenue."""
from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from quart import Blueprint, request
from quart_schema import validate_querystring, validate_request, validate_response

from buko.application.billing.subscriptions import Billing, Checkouts, StartCheckout, listed_plans
from buko.application.notifications import EmailVerification
from buko.bootstrap import Container
from buko.config import Settings
from buko.entrypoints.http import billing_schemas as s
from buko.entrypoints.http.auth import caller, public, require_admin

bp = Blueprint("billing", __name__, url_prefix="/api")


def subscription_out(sub) -> s.SubscriptionOut | None:
    if sub is None:
        return None
    return s.SubscriptionOut(id=sub.id, plan=sub.plan_code, status=sub.status.value, gateway=sub.gateway,
                             interval=sub.interval, currency=sub.currency, amount=sub.amount,
                             started_at=sub.started_at, current_period_end=sub.current_period_end,
                             grace_until=sub.grace_until, ended_at=sub.ended_at)


def billing_out(status) -> s.BillingOut:
    return s.BillingOut(
        plan=status.plan.code, subscription=subscription_out(status.subscription),
        next_charge_at=status.next_charge_at, access_until=status.access_until,
        invoices=[s.InvoiceOut(id=i.id, payment_id=i.payment_id, gateway=i.gateway, plan=i.plan_code, amount=i.amount,
                               currency=i.currency, status=i.status, created_at=i.created_at, period_end=i.period_end)
                  for i in status.invoices])


@bp.get("/billing/plans")
@public
@validate_response(s.PlansOut)
@inject
async def plans(checkouts: Checkouts = Provide[Container.use_cases.checkouts]):
    """Plans, what each allows, and their prices per interval and currency."""
    return s.PlansOut(
        plans=[s.PlanOut(code=p.code, name=p.name, books_per_month=p.monthly_books,
                         max_words_per_book=p.max_words_per_book, lanes=p.lanes, formats=list(p.formats),
                         prices=[s.PriceOut(interval=str(i), currency=c, amount=a) for (i, c), a in sorted(p.prices.items())])
               for p in listed_plans()],
        gateways=sorted(checkouts.gateways))


@bp.post("/billing/checkout")
@validate_request(s.CheckoutIn)
@validate_response(s.CheckoutOut, 201)
@inject
async def checkout(data: s.CheckoutIn, checkouts: Checkouts = Provide[Container.use_cases.checkouts],
                   settings: Settings = Provide[Container.settings]):
    """Start a subscription: redirect the author to `approve_url`; the gateway sends them back to the
    /billing/return page (or /billing/cancelled) and its webhook activates the plan; a script follows it
    with GET /api/billing/return?subscription=ID."""
    base = settings.public_base_url.rstrip("/")
    started = await checkouts.start(StartCheckout(caller().user.id, data.plan, data.interval, data.gateway,
                                                  data.currency, f"{base}/billing/return",
                                                  f"{base}/billing/cancelled"))
    return s.CheckoutOut(subscription_id=started.subscription_id, approve_url=started.approve_url), 201


@bp.get("/billing/return")
@validate_response(s.ReturnOut)
@inject
async def back_from_gateway(billing: Billing = Provide[Container.use_cases.billing]):
    """Where the gateway sends the author back: `active` once the gateway's webhook has arrived (usually
    within seconds), `processing` until then, `not_completed` when the checkout was not approved
    (MercadoPago, which has no cancel link, reports the subscription still pending; or it was left for
    hours): nothing was charged. `?subscription=ID` follows that checkout's subscription (404 when it is
    not the caller's); without it, the subscription that decides the plan."""
    wanted = request.args.get("subscription", "")
    if wanted:
        sub = await billing.follow_checkout(caller().user.id, wanted)
    else:
        sub = (await billing.status(caller().user.id)).subscription
    state = sub.status.value if sub else ""
    return s.ReturnOut(status={"active": "active", "abandoned": "not_completed"}.get(state, "processing"),
                       subscription=subscription_out(sub))


@bp.get("/billing/cancel")
@validate_response(s.ReturnOut)
@inject
async def abandoned_checkout(billing: Billing = Provide[Container.use_cases.billing]):
    """Where the gateway sends the author who did not approve: nothing was charged."""
    status = await billing.status(caller().user.id)
    return s.ReturnOut(status="not_subscribed", subscription=subscription_out(status.subscription))


@bp.get("/billing")
@validate_response(s.BillingOut)
@inject
async def my_billing(billing: Billing = Provide[Container.use_cases.billing]):
    """My plan, subscription, next charge and receipts."""
    return billing_out(await billing.status(caller().user.id))


@bp.post("/billing/cancel")
@validate_response(s.BillingOut)
@inject
async def cancel(billing: Billing = Provide[Container.use_cases.billing]):
    """Cancel my subscription: no further charge; the plan stays until the end of the paid period."""
    await billing.cancel(caller().user.id)
    return billing_out(await billing.status(caller().user.id))


@bp.get("/admin/subscriptions")
@validate_querystring(s.AdminSubscriptionsQuery)
@validate_response(s.AdminSubscriptionsOut)
@inject
async def admin_subscriptions(query_args: s.AdminSubscriptionsQuery,
                              billing: Billing = Provide[Container.use_cases.billing]):
    """(Admin) Paid subscriptions, newest first (by status, by gateway), and the revenue: the last 30 days
    per currency, and per month and currency over the last 12 months."""
    require_admin()
    found = await billing.admin_page(query_args.status, query_args.offset, query_args.limit, query_args.gateway)
    return s.AdminSubscriptionsOut(
        subscriptions=[s.AdminSubscriptionOut(**subscription_out(x).model_dump(), user_id=x.user_id,
                                              email=found.emails.get(x.user_id, "")) for x in found.subscriptions],
        total=found.total, revenue_last_30_days=found.revenue_last_30_days,
        revenue_by_month=[s.MonthRevenueOut(**vars(m)) for m in found.monthly_revenue])


@bp.get("/auth/verify-email")
@public
@inject
async def verify_email(verification: EmailVerification = Provide[Container.use_cases.email_verification]):
    """Confirm an email address (the link in the verification mail)."""
    await verification.confirm(request.args.get("token", ""))
    return {"status": "verified"}
