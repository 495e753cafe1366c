"""`buko billing setup`: create at each gateway what it needs to sell the plans (idempotent)."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from buko.application.billing.ports import PaymentGateway, RemotePlan
from buko.application.ports import UnitOfWork
from buko.domain.billing.plans import CATALOGUE


class SetupBilling:
    def __init__(self, uow: Callable[[], UnitOfWork], gateways: Mapping[str, PaymentGateway]):
        self.uow, self.gateways = uow, gateways

    async def __call__(self) -> dict[str, list[RemotePlan]]:
        plans = [p for p in CATALOGUE.values() if p.paid and p.listed]
        done: dict[str, list[RemotePlan]] = {}
        for name, gateway in self.gateways.items():
            remote = await gateway.setup(plans)
            async with self.uow() as uow:
                for item in remote:
                    await uow.gateway_plans.save(name, item)
                await uow.commit()
            done[name] = remote
        return done
