"""The admin's analytics: figures read from the database for a range, as JSON-ready data or CSV."""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from datetime import datetime, timedelta

from buko.application.operations.ports import MILESTONES, AnalyticsFigures, AnalyticsReader
from buko.application.ports import Clock
from buko.domain.errors import DomainError

RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


class UnknownRange(DomainError):
    code = "unknown_range"


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class Analytics:
    def __init__(self, reader: AnalyticsReader, clock: Clock):
        self.reader, self.clock = reader, clock

    async def report(self, range_name: str = "7d") -> dict:
        if range_name not in RANGES:
            raise UnknownRange(f"range must be one of {', '.join(RANGES)}, not {range_name!r}")
        until = self.clock.now()
        since = until - RANGES[range_name]
        figures = await self.reader.figures(since, until)
        return summarize(figures, range_name, since, until)

    async def csv(self, range_name: str = "7d") -> str:
        return to_csv(await self.report(range_name))


def summarize(figures: AnalyticsFigures, range_name: str, since: datetime, until: datetime) -> dict:
    days = [{"day": d.day.isoformat(), "books_started": d.books_started, "books_finished": d.books_finished,
             "words": d.words, "input_tokens": d.input_tokens, "output_tokens": d.output_tokens,
             "tokens": d.input_tokens + d.output_tokens, "cost_usd": round(d.cost_usd, 6)} for d in figures.days]
    totals = {key: sum(day[key] for day in days) for key in
              ("books_started", "books_finished", "words", "input_tokens", "output_tokens", "tokens")}
    totals["cost_usd"] = round(sum(d.cost_usd for d in figures.days), 6)
    steps = ("registered", *MILESTONES)
    return {
        "range": range_name,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "days": days,
        "totals": totals,
        "cost_by_model": {m: round(v, 6) for m, v in sorted(figures.cost_by_model.items())},
        "revenue": figures.revenue,
        "active_subscriptions": figures.active_subscriptions,
        "funnel": [{"step": step, "users": figures.funnel.get(step, 0)} for step in steps],
        "chunk_latency": {"count": len(figures.chunk_seconds), "p50": percentile(figures.chunk_seconds, 0.5),
                          "p95": percentile(figures.chunk_seconds, 0.95)},
        "tokens_per_second": {m: round(v, 2) for m, v in sorted(figures.tokens_per_second.items())},
        "books_by_status": figures.books_by_status,
    }


def _rows(report: dict) -> Iterator[tuple]:
    for day in report["days"]:
        for key, value in day.items():
            if key != "day":
                yield "day", day["day"], key, value
    for key, value in report["totals"].items():
        yield "total", report["range"], key, value
    for model, usd in report["cost_by_model"].items():
        yield "cost_by_model", model, "cost_usd", usd
    for row in report["revenue"]:
        yield "revenue", f"{row['plan']}/{row['gateway']}/{row['currency']}", "amount_minor", row["amount"]
    for row in report["active_subscriptions"]:
        yield "active_subscriptions", f"{row['plan']}/{row['gateway']}", "count", row["count"]
    for step in report["funnel"]:
        yield "funnel", step["step"], "users", step["users"]
    for key in ("count", "p50", "p95"):
        yield "chunk_latency", "seconds", key, report["chunk_latency"][key]
    for model, rate in report["tokens_per_second"].items():
        yield "tokens_per_second", model, "output_tokens_per_second", rate


def to_csv(report: dict) -> str:
    """Long format (section, key, metric, value): one table whatever the range."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "key", "metric", "value"))
    for row in _rows(report):
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()
