"""The catalogue of plans, their prices, and the quota a plan grants."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from buko.domain.errors import DomainError, QuotaExceeded


class Interval(StrEnum):
    MONTH = "month"
    YEAR = "year"


CURRENCIES = ("USD", "EUR", "MXN", "ARS")


@dataclass(frozen=True)
class Plan:
    """What a plan allows. `prices` maps (interval, currency) to the amount in minor units (cents);
    a plan without prices (free, and the unlisted studio plan for local use) cannot be bought."""

    code: str
    name: str
    monthly_books: int
    max_words_per_book: int
    lanes: int = 1
    formats: tuple[str, ...] = ("pdf", "epub", "docx", "md")
    prices: dict[tuple[Interval, str], int] = field(default_factory=dict, hash=False, compare=False)
    listed: bool = True

    @property
    def paid(self) -> bool:
        return bool(self.prices)

    def price(self, interval: Interval | str, currency: str) -> int:
        """Minor units (cents) per period; UnknownPlan when the plan is not sold that way."""
        try:
            return self.prices[(Interval(interval), currency.upper())]
        except (KeyError, ValueError):
            raise UnknownPlan(f"the {self.name} plan is not sold per {interval} in {currency}") from None

    @property
    def price_usd_month(self) -> float:
        return self.prices.get((Interval.MONTH, "USD"), 0) / 100


def _prices(usd: int, eur: int, mxn: int, ars: int) -> dict[tuple[Interval, str], int]:
    """Monthly prices in whole units; a year costs ten months."""
    monthly = {"USD": usd, "EUR": eur, "MXN": mxn, "ARS": ars}
    out = {}
    for currency, amount in monthly.items():
        out[(Interval.MONTH, currency)] = amount * 100
        out[(Interval.YEAR, currency)] = amount * 1000
    return out


CATALOGUE: dict[str, Plan] = {
    plan.code: plan
    for plan in (
        Plan("free", "Free", monthly_books=1, max_words_per_book=15_000, lanes=1, formats=("pdf", "epub", "md")),
        Plan("author", "Author", monthly_books=5, max_words_per_book=60_000, lanes=2,
             prices=_prices(19, 18, 349, 19_000)),
        Plan("pro", "Pro", monthly_books=20, max_words_per_book=150_000, lanes=4,
             prices=_prices(49, 45, 899, 49_000)),
        # Not sold: what the local CLI author and administrators use.
        Plan("studio", "Studio", monthly_books=100, max_words_per_book=200_000, lanes=8, listed=False),
    )
}
DEFAULT_PLAN = "free"


class UnknownPlan(DomainError):
    code = "unknown_plan"


def plan_named(code: str) -> Plan:
    try:
        return CATALOGUE[code]
    except KeyError:
        raise UnknownPlan(f"unknown plan {code!r}; plans are {', '.join(CATALOGUE)}") from None


def check_quota(plan: Plan, books_this_month: int, target_words: int) -> None:
    """Refuse a new book the plan does not cover."""
    if books_this_month >= plan.monthly_books:
        raise QuotaExceeded(
            f"the {plan.name} plan allows {plan.monthly_books} book(s) a month and "
            f"{books_this_month} were started this month"
        )
    if target_words > plan.max_words_per_book:
        raise QuotaExceeded(f"the {plan.name} plan allows up to {plan.max_words_per_book} words per book")


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


# Kept here too: callers import the subscription model and the plan rules from one place.
from buko.domain.billing.subscription import (  # noqa: E402
    Subscription,
    SubscriptionStatus,
    effective_plan,
)

__all__ = [
    "CATALOGUE", "CURRENCIES", "DEFAULT_PLAN", "Interval", "Plan", "Subscription", "SubscriptionStatus",
    "UnknownPlan", "check_quota", "effective_plan", "month_start", "plan_named",
]
