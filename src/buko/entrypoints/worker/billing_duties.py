"""Periodic billing and mail duties, run by the workers of the `emails_low` queue: deliver mail whose
retry is due, apply stored gateway events that never got (or lost) their task, expire past-due
subscriptions whose grace period ended, abandon checkouts left pending past their TTL. Each duty is idempotent, so several workers may run it."""
from __future__ import annotations

import asyncio
import logging

from buko.bootstrap import Container

log = logging.getLogger(__name__)


async def run_once(container: Container) -> dict[str, int]:
    uc = container.use_cases
    return {
        "mail": await uc.mail_retry()(),
        "events": await uc.webhooks().requeue_unapplied(),
        "expired": await uc.webhooks().expire_overdue(),
        "abandoned": await uc.billing().abandon_stale_checkouts(),
    }


async def run(container: Container, interval: float | None = None) -> None:
    interval = interval or container.settings().billing_sweep_seconds
    while True:
        try:
            done = await run_once(container)
            if any(done.values()):
                log.info("billing duties: %s", done)
        except asyncio.CancelledError:
            raise
        except Exception:  # tried again at the next interval
            log.exception("billing duties failed")
        await asyncio.sleep(interval)
