"""`buko billing setup`: create at each configured gateway what it needs to sell the plans (idempotent)."""
from __future__ import annotations

from buko.config import Settings


def add_parser(commands) -> None:
    billing = commands.add_parser("billing", help="payment gateways")
    sub = billing.add_subparsers(dest="billing_command", required=True)
    sub.add_parser("setup", help="create the PayPal product and plans once (safe to run again)")


async def run(settings: Settings, args) -> int:
    from buko.bootstrap import build_container  # heavy: not imported to parse the command line
    from buko.entrypoints.worker.runtime import running

    container = build_container(settings)
    if not container.gateways.payments():
        print("buko billing setup: no gateway is configured (set PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET and "
              "PAYPAL_WEBHOOK_ID, or MP_ACCESS_TOKEN and MP_WEBHOOK_SECRET)")
        return 2
    async with running(container):
        done = await container.use_cases.setup_billing()()
        for gateway in container.gateways.payments().values():
            await gateway.aclose()
    for gateway, plans in done.items():
        print(f"{gateway}: {len(plans)} plan(s) ready" + "".join(
            f"\n  {p.plan_code} {p.interval} {p.currency}: {p.remote_id}" for p in plans))
    return 0
