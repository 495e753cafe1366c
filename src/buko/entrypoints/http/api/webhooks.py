"""Payment gateways' webhooks: public (the gateway's signature is the credential), answered fast —
verified and stored here, applied by a queued task. A refused signature answers 401 and changes nothing."""
from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from quart import Blueprint, request
from quart_schema import validate_response

from buko.application.billing.ports import WebhookDelivery
from buko.application.billing.webhooks import Webhooks
from buko.bootstrap import Container
from buko.entrypoints.http import billing_schemas as s
from buko.entrypoints.http.auth import public

bp = Blueprint("webhooks", __name__, url_prefix="/api/webhooks")


async def _delivery() -> WebhookDelivery:
    body = await request.get_data(cache=False, as_text=False)
    return WebhookDelivery({k.lower(): v for k, v in request.headers.items()}, body,
                           {k: v for k, v in request.args.items()})


@bp.post("/<any(paypal, mercadopago):gateway>")
@public
@validate_response(s.WebhookOut)
@inject
async def receive(gateway: str, webhooks: Webhooks = Provide[Container.use_cases.webhooks]):
    """Receive a gateway's event (PayPal or MercadoPago)."""
    received = await webhooks.receive(gateway, await _delivery())
    return s.WebhookOut(status="duplicate" if received.duplicate else "accepted", event_id=received.event_id)
