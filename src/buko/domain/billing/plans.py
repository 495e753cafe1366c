"""Plans, subscriptions and the quota they grant."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from buko.domain.errors import DomainError, QuotaExceeded


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    monthly_books: int
    max_words_per_book: int
    price_usd_month: float


CATALOGUE = {
    plan.code: plan
    for plan in (
        Plan("free", "Free", monthly_books=1, max_words_per_book=15_000, price_usd_month=0),
        Plan("author", "Author", monthly_books=5, max_words_per_book=60_000, price_usd_month=19),
        Plan("pro", "Pro", monthly_books=20, max_words_per_book=150_000, price_usd_month=49),
        Plan("studio", "Studio", monthly_books=100, max_words_per_book=200_000, price_usd_month=149),
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


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


@dataclass
class Subscription:
    user_id: str
    plan_code: str
    status: SubscriptionStatus
    started_at: datetime

    @property
    def plan(self) -> Plan:
        return plan_named(self.plan_code)


def effective_plan(subscription: Subscription | None) -> Plan:
    if subscription is None or subscription.status is not SubscriptionStatus.ACTIVE:
        return CATALOGUE[DEFAULT_PLAN]
    return subscription.plan


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
