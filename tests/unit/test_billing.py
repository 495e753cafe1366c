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


# -- abandoned checkouts ----------------------------------------------------------------
from buko.domain.billing.events import CheckoutAbandoned, PaymentReceived, SubscriptionCancelled  # noqa: E402
from buko.domain.billing.subscription import governing  # noqa: E402

TTL = timedelta(hours=3)


def test_a_checkout_left_pending_past_the_ttl_is_abandoned_once():
    sub = pending()
    assert not sub.abandon_if_stale(NOW + TTL - timedelta(seconds=1), TTL)
    assert sub.status is SubscriptionStatus.PENDING and sub.events == []
    assert sub.abandon_if_stale(NOW + TTL, TTL)
    assert sub.status is SubscriptionStatus.ABANDONED and sub.ended_at == NOW + TTL
    assert [type(e) for e in sub.events] == [CheckoutAbandoned]
    assert sub.events[0].reason == "not approved in time"
    assert not sub.abandon_if_stale(NOW + 2 * TTL, TTL)  # already abandoned: no second event
    assert len(sub.events) == 1 and effective_plan(sub, NOW + TTL).code == "free"


def test_only_a_pending_checkout_is_abandoned():
    active = pending()
    active.apply(GatewayUpdate(Change.ACTIVATED, NOW, NOW + timedelta(days=30)))
    assert not active.abandon_if_stale(NOW + 10 * TTL, TTL) and active.status is SubscriptionStatus.ACTIVE
    with pytest.raises(Exception, match="only a pending checkout"):
        active.abandon(NOW, "test")


def test_a_late_approval_still_activates_an_abandoned_checkout():
    """The gateway approved it (before or after we gave up): money taken is never ignored."""
    sub = pending()
    sub.abandon_if_stale(NOW + TTL, TTL)
    sub.apply(GatewayUpdate(Change.ACTIVATED, NOW + timedelta(hours=1), NOW + timedelta(days=30)))
    assert sub.status is SubscriptionStatus.ACTIVE and sub.ended_at is None
    assert effective_plan(sub, NOW + TTL).code == "pro"
    assert [type(e) for e in sub.events] == [CheckoutAbandoned, SubscriptionActivated]


def test_a_late_payment_still_activates_an_abandoned_checkout():
    sub = pending()
    sub.abandon_if_stale(NOW + TTL, TTL)
    sub.apply(GatewayUpdate(Change.PAYMENT_COMPLETED, NOW + 2 * TTL, NOW + timedelta(days=30), "S9", 4900, "USD"))
    assert sub.status is SubscriptionStatus.ACTIVE and sub.current_period_end == NOW + timedelta(days=30)
    assert [type(e) for e in sub.events] == [CheckoutAbandoned, PaymentReceived, SubscriptionActivated]


def test_an_abandoned_checkout_ignores_everything_but_an_approval():
    sub = pending()
    sub.abandon_if_stale(NOW + TTL, TTL)
    for change in (Change.PAYMENT_FAILED, Change.SUSPENDED, Change.CANCELLED, Change.EXPIRED):
        assert not sub.apply(GatewayUpdate(change, NOW + 2 * TTL))
    assert sub.status is SubscriptionStatus.ABANDONED and len(sub.events) == 1


def test_a_checkout_cancelled_before_approval_is_abandoned_not_ended():
    """Nothing was ever charged: no 'subscription ending' for it."""
    at_gateway, by_author = pending(), pending()
    at_gateway.apply(GatewayUpdate(Change.CANCELLED, NOW + timedelta(minutes=5)))
    by_author.cancel(NOW + timedelta(minutes=5))
    for sub in (at_gateway, by_author):
        assert sub.status is SubscriptionStatus.ABANDONED
        assert [type(e) for e in sub.events] == [CheckoutAbandoned]
    with pytest.raises(Exception, match="already abandoned"):
        by_author.cancel(NOW + timedelta(minutes=6))


def test_a_payment_older_than_the_gateways_cancellation_counts_for_its_period():
    sub = pending()
    sub.apply(GatewayUpdate(Change.CANCELLED, NOW + timedelta(minutes=5)))
    sub.apply(GatewayUpdate(Change.PAYMENT_COMPLETED, NOW + timedelta(minutes=1), NOW + timedelta(days=30), "S1", 4900))
    assert sub.status is SubscriptionStatus.CANCELLED and effective_plan(sub, NOW + timedelta(days=29)).code == "pro"
    assert [type(e) for e in sub.events] == [CheckoutAbandoned, PaymentReceived, SubscriptionCancelled]


def test_an_abandoned_checkout_does_not_hide_the_settled_subscription():
    old = Subscription("u", "author", SubscriptionStatus.EXPIRED, NOW - timedelta(days=90), gateway="paypal")
    left = pending()
    left.abandon_if_stale(NOW + TTL, TTL)
    assert governing([left, old], NOW + TTL) is old
    assert governing([left], NOW + TTL) is left


@pytest.mark.parametrize("status, gateway, can", [
    (SubscriptionStatus.PENDING, "paypal", True), (SubscriptionStatus.ACTIVE, "mercadopago", True),
    (SubscriptionStatus.PAST_DUE, "paypal", True), (SubscriptionStatus.ACTIVE, "manual", False),
    (SubscriptionStatus.CANCELLED, "paypal", False), (SubscriptionStatus.EXPIRED, "paypal", False),
    (SubscriptionStatus.ABANDONED, "paypal", False),
])
def test_what_the_author_may_cancel(status, gateway, can):
    assert Subscription("u", "author", status, NOW, gateway=gateway).author_can_cancel is can
