"""`buko doctor`: is this setup ready for production? (The successor of verify_10k_users_setup.py.)

Checks the database and its pool against the server's limits, Redis and its client limit, each
queue's depth and live workers, the Claude configuration and disk space for exports. Prints a table,
writes the same as JSON, and exits non-zero when any check fails.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from buko.config import Settings
from buko.entrypoints import doctor_checks as checks
from buko.entrypoints.doctor_checks import FAIL, OK, WARN, Check

STYLE = {OK: "green", WARN: "yellow", FAIL: "bold red"}


async def diagnose(settings: Settings, ping: bool = False) -> list[Check]:
    """Run every check; one failing never stops the others."""
    client = None
    if settings.redis_url:
        from redis.asyncio import Redis

        client = Redis.from_url(settings.redis_url, socket_connect_timeout=checks.TIMEOUT,
                                socket_timeout=checks.TIMEOUT)
    try:
        results = [await checks.database(settings), await checks.redis(settings, client)]
        if results[-1].status == FAIL:
            results += [Check(f"queue {q}", FAIL, "not checked: Redis is unreachable") for q in checks.QUEUES]
        else:
            results += await checks.queues(settings, client)
        results += [await checks.claude(settings, ping), checks.exports(), checks.disk(settings)]
    finally:
        if client is not None:
            await client.aclose()
    return results


def render(results: list[Check], console: Console) -> None:
    table = Table("check", "status", "detail", title="buko doctor")
    for check in results:
        table.add_row(check.name, f"[{STYLE[check.status]}]{check.status}[/]", check.detail)
    console.print(table)


async def run_doctor(settings: Settings, report: Path, ping: bool = False) -> int:
    results = await diagnose(settings, ping)
    failed = [c for c in results if c.status == FAIL]
    document = {
        "checked_at": datetime.now(UTC).isoformat(),
        "ok": not failed,
        "checks": [asdict(c) for c in results],
    }
    report.write_text(json.dumps(document, indent=2, default=str) + "\n")
    console = Console(highlight=False)
    render(results, console)
    if failed:
        causes = [c for c in failed if not c.detail.startswith("not checked")]
        console.print(f"[bold red]{len(failed)} check(s) failed[/] ({', '.join(c.name for c in failed)}). "
                      + " ".join(f"{c.name}: {c.detail}." for c in causes))
    else:
        warned = any(c.status == WARN for c in results)
        console.print("[green]All checks passed[/]" + (" (with warnings)." if warned else "."))
    console.print(f"Report written to {report}")
    return 1 if failed else 0
