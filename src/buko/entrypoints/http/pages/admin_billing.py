"""The admin's billing page: paid subscriptions (by status, by gateway) and the revenue per month and
currency. Over the same use case as /api/admin/subscriptions."""
from __future__ import annotations

from quart import Blueprint, request

from buko.entrypoints.http.pages.billing import GATEWAY_NAMES, STATUS_TEXT
from buko.entrypoints.http.pages.i18n import _
from buko.entrypoints.http.pages.web import admin_required, render, use_cases

bp = Blueprint("admin_billing", __name__, url_prefix="/admin")
PAGE = 50


@bp.get("/billing")
@admin_required
async def billing():
    status = request.args.get("status") or None
    status = status if status in STATUS_TEXT else None
    gateway = request.args.get("gateway") or None
    gateway = gateway if gateway in ("paypal", "mercadopago") else None
    try:
        offset = max(int(request.args.get("offset", "0")), 0)
    except ValueError:
        offset = 0
    found = await use_cases().billing().admin_page(status, offset, PAGE, gateway)
    return render("admin/billing.html", found=found, chosen_status=status, gateway=gateway, offset=offset, page_size=PAGE,
                  status_names={k: _(v[0]) for k, v in STATUS_TEXT.items()}, gateway_names=GATEWAY_NAMES,
                  section="billing")
