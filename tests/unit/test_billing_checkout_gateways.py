"""Which configured gateways the pricing page offers for a currency."""
from __future__ import annotations

from types import SimpleNamespace

from buko.application.billing.subscriptions import Checkouts


def test_only_gateways_that_charge_in_the_currency_are_offered():
    gateways = {"paypal": SimpleNamespace(currencies=("USD", "EUR")),
                "mercadopago": SimpleNamespace(currencies=("ARS",))}
    checkouts = Checkouts(uow=None, clock=None, gateways=gateways)
    assert checkouts.gateways_for("usd") == ["paypal"]
    assert checkouts.gateways_for("ARS") == ["mercadopago"]
    assert checkouts.gateways_for("MXN") == []
    assert Checkouts(uow=None, clock=None, gateways={}).gateways_for("USD") == []
