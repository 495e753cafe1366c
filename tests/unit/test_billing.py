from datetime import UTC, datetime

import pytest

from buko.domain.billing.plans import (
    CATALOGUE,
    Subscription,
    SubscriptionStatus,
    UnknownPlan,
    check_quota,
    effective_plan,
    month_start,
    plan_named,
)
from buko.domain.errors import QuotaExceeded

NOW = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)


def test_no_subscription_means_the_free_plan():
    assert effective_plan(None).code == "free"
    cancelled = Subscription("u", "pro", SubscriptionStatus.CANCELLED, NOW)
    assert effective_plan(cancelled).code == "free"
    assert effective_plan(Subscription("u", "pro", SubscriptionStatus.ACTIVE, NOW)).code == "pro"


def test_monthly_book_quota():
    free = CATALOGUE["free"]
    check_quota(free, 0, 10_000)
    with pytest.raises(QuotaExceeded, match="1 book"):
        check_quota(free, 1, 10_000)


def test_words_per_book_quota():
    with pytest.raises(QuotaExceeded, match="15000 words"):
        check_quota(CATALOGUE["free"], 0, 15_001)


def test_unknown_plan_is_a_clear_error():
    with pytest.raises(UnknownPlan, match="plans are free, author, pro, studio"):
        plan_named("platinum")


def test_month_start():
    assert month_start(NOW) == datetime(2026, 11, 1, tzinfo=UTC)
