"""Request and response bodies of the billing API."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PriceOut(BaseModel):
    interval: str
    currency: str
    amount: int = Field(description="minor units (cents)")


class PlanOut(BaseModel):
    code: str
    name: str
    books_per_month: int
    max_words_per_book: int
    lanes: int
    formats: list[str]
    prices: list[PriceOut]


class PlansOut(BaseModel):
    plans: list[PlanOut]
    gateways: list[str]


class CheckoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan: str = Field(max_length=32)
    interval: Literal["month", "year"] = "month"
    gateway: Literal["paypal", "mercadopago"]
    currency: str = Field("USD", min_length=3, max_length=3)


class CheckoutOut(BaseModel):
    subscription_id: str
    approve_url: str


class SubscriptionOut(BaseModel):
    id: str
    plan: str
    status: str
    gateway: str
    interval: str
    currency: str
    amount: int
    started_at: datetime
    current_period_end: datetime | None
    grace_until: datetime | None
    ended_at: datetime | None


class InvoiceOut(BaseModel):
    id: str
    payment_id: str
    gateway: str
    plan: str
    amount: int
    currency: str
    status: str
    created_at: datetime
    period_end: datetime | None


class BillingOut(BaseModel):
    plan: str
    subscription: SubscriptionOut | None
    next_charge_at: datetime | None
    access_until: datetime | None
    invoices: list[InvoiceOut]


class ReturnOut(BaseModel):
    status: Literal["active", "processing", "not_completed", "not_subscribed"] = Field(
        description="active: the plan is on; processing: waiting for the gateway's confirmation; "
                    "not_completed: the checkout was not approved, nothing was charged")
    subscription: SubscriptionOut | None


class WebhookOut(BaseModel):
    status: Literal["accepted", "duplicate"]
    event_id: str


class AdminSubscriptionsQuery(BaseModel):
    status: Literal["pending", "active", "past_due", "cancelled", "expired", "abandoned"] | None = None
    gateway: Literal["paypal", "mercadopago"] | None = None
    offset: int = Field(0, ge=0)
    limit: int = Field(20, ge=1, le=100)


class MonthRevenueOut(BaseModel):
    month: str = Field(description="calendar month (UTC), YYYY-MM")
    currency: str
    amount: int = Field(description="minor units (cents)")
    payments: int


class AdminSubscriptionOut(SubscriptionOut):
    user_id: str
    email: str


class AdminSubscriptionsOut(BaseModel):
    subscriptions: list[AdminSubscriptionOut]
    total: int
    revenue_last_30_days: dict[str, int]
    revenue_by_month: list[MonthRevenueOut] = Field(description="the last 12 months, newest first")
