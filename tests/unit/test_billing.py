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


# -- the subscription state machine ----------------------------------------------------
from datetime import timedelta  # noqa: E402

from buko.domain.billing.events import PaymentFailed, SubscriptionActivated, SubscriptionExpired  # noqa: E402
from buko.domain.billing.subscription import Change, GatewayUpdate  # noqa: E402


def pending() -> Subscription:
    return Subscription("u", "pro", SubscriptionStatus.PENDING, NOW, gateway="paypal", gateway_ref="I-1")


def test_activation_payment_failure_grace_and_expiry():
    sub = pending()
    assert effective_plan(sub, NOW).code == "free"
    sub.apply(GatewayUpdate(Change.ACTIVATED, NOW, NOW + timedelta(days=30)))
    assert sub.status is SubscriptionStatus.ACTIVE and effective_plan(sub, NOW).code == "pro"
    sub.apply(GatewayUpdate(Change.PAYMENT_FAILED, NOW + timedelta(days=30)), grace=timedelta(days=3))
    assert sub.status is SubscriptionStatus.PAST_DUE and sub.grace_until == NOW + timedelta(days=33)
    assert effective_plan(sub, NOW + timedelta(days=32)).code == "pro"
    assert not sub.expire_if_due(NOW + timedelta(days=32))
    assert sub.expire_if_due(NOW + timedelta(days=33))
    assert sub.status is SubscriptionStatus.EXPIRED and effective_plan(sub, NOW + timedelta(days=33)).code == "free"
    assert [type(e) for e in sub.events] == [SubscriptionActivated, PaymentFailed, SubscriptionExpired]


def test_an_older_event_never_moves_the_status_back_but_a_payment_still_counts():
    sub = pending()
    sub.apply(GatewayUpdate(Change.CANCELLED, NOW + timedelta(minutes=3)))
    sub.apply(GatewayUpdate(Change.PAYMENT_COMPLETED, NOW + timedelta(minutes=1), NOW + timedelta(days=30), "S1", 4900))
    sub.apply(GatewayUpdate(Change.ACTIVATED, NOW, NOW + timedelta(days=30)))
    assert sub.status is SubscriptionStatus.CANCELLED and sub.current_period_end == NOW + timedelta(days=30)
    assert effective_plan(sub, NOW + timedelta(days=29)).code == "pro"
    assert effective_plan(sub, NOW + timedelta(days=31)).code == "free"


def test_author_cancels_and_keeps_the_paid_period():
    sub = pending()
    sub.apply(GatewayUpdate(Change.ACTIVATED, NOW, NOW + timedelta(days=30)))
    sub.cancel(NOW + timedelta(days=1))
    assert sub.status is SubscriptionStatus.CANCELLED and effective_plan(sub, NOW + timedelta(days=2)).code == "pro"
    with pytest.raises(Exception, match="already cancelled"):
        sub.cancel(NOW + timedelta(days=2))
