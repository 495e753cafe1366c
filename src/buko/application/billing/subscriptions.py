"""Subscribe a user to a plan (payment gateways come in front of this later)."""
from __future__ import annotations

from collections.abc import Callable

from buko.application.commands import Subscribe
from buko.application.ports import Clock, UnitOfWork
from buko.domain.billing.plans import Subscription, SubscriptionStatus, plan_named
from buko.domain.errors import NotFound


class SubscribeHandler:
    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock):
        self.uow, self.clock = uow, clock

    async def __call__(self, cmd: Subscribe) -> None:
        plan = plan_named(cmd.plan_code)
        async with self.uow() as uow:
            if await uow.users.get(cmd.user_id) is None:
                raise NotFound(f"no user {cmd.user_id}")
            await uow.subscriptions.save(
                Subscription(cmd.user_id, plan.code, SubscriptionStatus.ACTIVE, self.clock.now())
            )
            await uow.commit()
