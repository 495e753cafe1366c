"""Ports of the billing context: payment gateways and the stores of billing records."""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime

from buko.domain.billing.invoices import Invoice, PaymentEvent
from buko.domain.billing.plans import Interval, Plan
from buko.domain.billing.subscription import GatewayUpdate
from buko.domain.errors import DomainError


class WebhookRefused(DomainError):
    """A webhook whose signature, secret, timestamp or body does not check out: nothing is applied."""

    code = "invalid_signature"


class GatewayUnavailable(DomainError):
    """The gateway is not configured here, or did not answer; the request can be tried again."""

    code = "gateway_unavailable"


class GatewayNotConfigured(GatewayUnavailable):
    """This installation does not offer that gateway (or has not set it up): the caller's choice
    cannot be served here, which is not a server fault."""

    code = "gateway_not_configured"


@dataclass(frozen=True)
class CheckoutRequest:
    subscription_id: str
    email: str
    plan: Plan
    interval: Interval
    currency: str
    amount: int
    return_url: str
    cancel_url: str
    remote_plan_id: str = ""


@dataclass(frozen=True)
class Checkout:
    gateway_ref: str
    approve_url: str


@dataclass(frozen=True)
class WebhookDelivery:
    """An HTTP request as received: header names lower-case, the exact body bytes, the query string."""

    headers: dict[str, str]
    body: bytes
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VerifiedEvent:
    event_id: str
    event_type: str
    resource_id: str
    payload: dict


@dataclass(frozen=True)
class ResolvedUpdate:
    """What an event means for one subscription: found by the gateway's id for it, or by ours."""

    gateway_ref: str
    update: GatewayUpdate
    our_ref: str = ""


@dataclass(frozen=True)
class MonthRevenue:
    month: str  # "2025-01"
    currency: str
    amount: int  # minor units
    payments: int


@dataclass(frozen=True)
class RemotePlan:
    plan_code: str
    interval: Interval
    currency: str
    remote_id: str


class PaymentGateway(abc.ABC):
    """A payment provider. Its SDK or HTTP calls run off the event loop; failures raise GatewayUnavailable."""

    name: str
    currencies: tuple[str, ...]
    needs_setup: bool = False

    @abc.abstractmethod
    async def setup(self, plans: list[Plan]) -> list[RemotePlan]:
        """Create (once: idempotent) whatever the gateway needs to sell these plans."""

    @abc.abstractmethod
    async def create_subscription(self, request: CheckoutRequest) -> Checkout:
        """Start a subscription; the author approves it at `approve_url`."""

    @abc.abstractmethod
    async def cancel_subscription(self, gateway_ref: str, reason: str) -> None: ...

    async def checkout_approved(self, gateway_ref: str) -> bool | None:
        """Asked when the author comes back from a gateway that has no cancel link: True if the author
        approved the subscription, False if not (nothing was charged), None when it cannot tell."""
        return None

    @abc.abstractmethod
    async def verify(self, delivery: WebhookDelivery, now: datetime) -> VerifiedEvent:
        """Check a webhook's authenticity; raise WebhookRefused otherwise. Fast: no state is read."""

    @abc.abstractmethod
    async def resolve(self, event: PaymentEvent) -> list[ResolvedUpdate]:
        """What a stored event means (fetching the resource from the gateway where its payload is not
        to be trusted); an empty list for events Buko does not act on."""

    async def aclose(self) -> None:
        """Release connections."""


class PaymentEventRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, event: PaymentEvent) -> bool:
        """Store a new event; False (nothing stored) when (gateway, event_id) is already there."""

    @abc.abstractmethod
    async def get(self, event_row_id: str, *, for_update: bool = False) -> PaymentEvent | None: ...

    @abc.abstractmethod
    async def by_event_id(self, gateway: str, event_id: str) -> PaymentEvent | None: ...

    @abc.abstractmethod
    async def save(self, event: PaymentEvent) -> None: ...

    @abc.abstractmethod
    async def unapplied(self, received_before: datetime, limit: int = 100) -> list[PaymentEvent]: ...


class InvoiceRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, invoice: Invoice) -> bool:
        """False (nothing stored) when the gateway's payment is already recorded."""

    @abc.abstractmethod
    async def list_for_user(self, user_id: str, limit: int = 50) -> list[Invoice]: ...

    @abc.abstractmethod
    async def revenue(self, since: datetime) -> dict[str, int]:
        """Paid amounts since `since`, per currency (minor units)."""

    @abc.abstractmethod
    async def monthly_revenue(self, since: datetime) -> list[MonthRevenue]:
        """Paid amounts since `since` per calendar month (UTC) and currency, newest month first."""


class GatewayPlanRepository(abc.ABC):
    @abc.abstractmethod
    async def save(self, gateway: str, plan: RemotePlan) -> None: ...

    @abc.abstractmethod
    async def find(self, gateway: str, plan_code: str, interval: str, currency: str) -> str | None: ...


class BillingSubscriptions(abc.ABC):
    """Subscription queries beyond the core repository's."""

    @abc.abstractmethod
    async def get(self, subscription_id: str, *, for_update: bool = False): ...

    @abc.abstractmethod
    async def by_gateway_ref(self, gateway: str, gateway_ref: str, *, for_update: bool = False): ...

    @abc.abstractmethod
    async def list_for_user(self, user_id: str) -> list: ...

    @abc.abstractmethod
    async def past_due_until(self, now: datetime, limit: int = 100) -> list: ...

    @abc.abstractmethod
    async def pending_started_before(self, when: datetime, limit: int = 100) -> list:
        """Checkouts still pending that were started before `when`."""

    @abc.abstractmethod
    async def page(self, status: str | None, offset: int, limit: int,
                   gateway: str | None = None) -> tuple[list, int]:
        """Paid subscriptions (not the manual ones), newest first, optionally of one status and gateway."""
