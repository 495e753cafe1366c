"""Mail to authors: rendered in their language, kept in an outbox, delivered on the `emails_low`
queue, retried with backoff until the SMTP server takes it, and sent once.

Every notification has a key (e.g. "book_ready:<book id>"): asking twice for the same one sends one
mail. Delivery claims the mail (a short lease) before sending and marks it sent right after, so a
redelivered task or the retry sweep never sends a delivered mail again.
"""
from __future__ import annotations

import abc
import asyncio
import hashlib
import hmac
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from buko.application.commands import EXPORT_FORMATS, SendEmail
from buko.application.ports import Clock, Mailer, TaskQueue, UnitOfWork
from buko.domain.billing import events as billing
from buko.domain.billing.plans import plan_named
from buko.domain.errors import DomainError
from buko.domain.mail import BACKOFF_BASE, BACKOFF_MAX, MailStatus, OutgoingMail

log = logging.getLogger(__name__)
FORMAT_NAMES = {"pdf": "PDF", "epub": "EPUB", "docx": "DOCX", "md": "Markdown"}
DELIVERY_LEASE = timedelta(minutes=2)
VERIFY_TTL = timedelta(days=7)


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class MailRenderer(abc.ABC):
    """Turns a kind of mail, a locale and its data into a subject, a text part and an HTML part."""

    @abc.abstractmethod
    def render(self, kind: str, locale: str, context: dict) -> RenderedMail: ...


class MailOutbox(abc.ABC):
    @abc.abstractmethod
    async def add(self, mail: OutgoingMail) -> bool:
        """False (nothing stored) when a mail with the same key exists."""

    @abc.abstractmethod
    async def get(self, mail_id: str, *, for_update: bool = False) -> OutgoingMail | None: ...

    @abc.abstractmethod
    async def save(self, mail: OutgoingMail) -> None: ...

    @abc.abstractmethod
    async def due(self, now: datetime, limit: int = 100) -> list[OutgoingMail]:
        """Pending mail whose next attempt is due and that no attempt holds."""


def verification_token(secret: str, user_id: str, email: str, expires: datetime) -> str:
    stamp = str(int(expires.timestamp()))
    mac = hmac.new(secret.encode(), f"{user_id}|{email}|{stamp}".encode(), hashlib.sha256).hexdigest()[:40]
    return f"{user_id}.{stamp}.{mac}"


class EmailVerification:
    """Confirms an address from the link in the verification mail (signed, expiring, tied to the address)."""

    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock, secret: str, callers=None):
        self.uow, self.clock, self.secret, self.callers = uow, clock, secret, callers  # CallerCache

    async def confirm(self, token: str) -> str:
        try:
            user_id, stamp, mac = token.split(".")
            expires = datetime.fromtimestamp(int(stamp), self.clock.now().tzinfo)
        except (ValueError, OverflowError, OSError):
            raise InvalidLink("this confirmation link is not valid") from None
        async with self.uow() as uow:
            user = await uow.users.get(user_id)
            expected = verification_token(self.secret, user_id, user.email if user else "", expires)
            if user is None or not hmac.compare_digest(expected.split(".")[2], mac):
                raise InvalidLink("this confirmation link is not valid")
            if self.clock.now() > expires:
                raise InvalidLink("this confirmation link has expired; log in to get a new one", expired=True)
            if not user.email_verified:
                user.email_verified = True
                await uow.users.save(user)
                await uow.commit()
        if self.callers is not None:
            self.callers.forget_user(user_id)
        return user_id


class InvalidLink(DomainError):
    code = "invalid_link"

    def __init__(self, message: str, expired: bool = False):
        super().__init__(message)
        self.expired = expired  # a genuine link past its date (the page says so), not a forged or broken one


class Notifier:
    """Composes the mails Buko sends and queues them."""

    def __init__(self, uow: Callable[[], UnitOfWork], queue: TaskQueue, renderer: MailRenderer, clock: Clock,
                 base_url: str, secret: str = ""):
        self.uow, self.queue, self.renderer, self.clock = uow, queue, renderer, clock
        self.base_url, self.secret = base_url.rstrip("/"), secret

    async def send(self, key: str, user_id: str, kind: str, context: dict) -> str | None:
        """Store the mail (once per key) and queue its delivery; returns its id, None when the user is gone."""
        now = self.clock.now()
        async with self.uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                log.warning("no user %s: %s mail not sent", user_id, kind)
                return None
            rendered = self.renderer.render(kind, user.locale, {
                **context, "name": user.name, "email": user.email, "base_url": self.base_url,
                "billing_url": f"{self.base_url}/billing",
            })
            mail = OutgoingMail(uuid.uuid4().hex, key, user.email, kind, user.locale, rendered.subject,
                                rendered.text, rendered.html, now, next_attempt_at=now)
            if not await uow.outbox.add(mail):
                return None  # asked before: that mail is (being) sent
            await uow.commit()
        try:
            await self.queue.enqueue(SendEmail(mail.to, mail.subject, mail.text, mail.html, mail.id))
        except Exception as unqueued:  # kept in the outbox: the retry sweep delivers it (one line, no traceback)
            log.warning("could not queue mail %s (%s: %s); the retry sweep will send it", mail.id,
                        type(unqueued).__name__, unqueued)
        return mail.id

    # -- the mails ----------------------------------------------------------------------
    async def verify_address(self, user_id: str) -> str | None:
        async with self.uow() as uow:
            user = await uow.users.get(user_id)
        if user is None or user.email_verified:
            return None
        token = verification_token(self.secret, user.id, user.email, self.clock.now() + VERIFY_TTL)
        link = f"{self.base_url}/account/verify-email?token={token}"
        return await self.send(f"verify:{user.id}:{user.email}", user.id, "verify_email", {"link": link})

    async def architecture_ready(self, book_id: str) -> str | None:
        async with self.uow() as uow:
            book = await uow.books.get(book_id)
        if book is None or book.architecture is None:
            return None
        return await self.send(f"planned:{book.id}:{book.architecture_version}", book.owner_id, "architecture_ready", {
            "title": book.title, "chapters": len(book.architecture.chapters),
            "link": f"{self.base_url}/books/{book.id}/architecture",  # the architecture editor page
        })

    async def book_ready(self, book_id: str) -> str | None:
        async with self.uow() as uow:
            book = await uow.books.get(book_id)
        if book is None:
            return None
        # Links to pages, never to the API: the reader page has the book and its download buttons (a
        # fresh export is prepared there, behind the log-in); each format's link lands on its button.
        reader = f"{self.base_url}/books/{book.id}/read"
        downloads = [(FORMAT_NAMES.get(fmt, fmt.upper()), f"{reader}#download-{fmt}") for fmt in EXPORT_FORMATS]
        return await self.send(f"written:{book.id}", book.owner_id, "book_ready", {
            "title": book.title, "words": book.words_written, "link": reader, "downloads": downloads,
        })

    async def billing_events(self, raised: Iterable[billing.BillingEvent]) -> None:
        for event in raised:
            try:
                await self._billing_mail(event)
            except Exception:  # a mail never undoes the payment it reports
                log.warning("could not queue the mail for %s", type(event).__name__, exc_info=True)

    async def _billing_mail(self, event: billing.BillingEvent) -> None:
        plan = plan_named(event.plan_code).name
        if isinstance(event, billing.PaymentReceived):
            await self.send(f"receipt:{event.subscription_id}:{event.payment_id}", event.user_id, "payment_receipt", {
                "plan": plan, "amount": _money(event.amount, event.currency), "payment_id": event.payment_id,
                "period_end": event.period_end,
            })
        elif isinstance(event, billing.PaymentFailed):
            await self.send(f"failed:{event.subscription_id}:{_day(event.grace_until)}", event.user_id,
                            "payment_failed", {"plan": plan, "grace_until": event.grace_until})
        elif isinstance(event, (billing.SubscriptionCancelled, billing.SubscriptionExpired)):
            until = getattr(event, "access_until", None)
            await self.send(f"ending:{event.subscription_id}", event.user_id, "subscription_ending",
                            {"plan": plan, "access_until": until, "expired": until is None})


def _money(amount: int, currency: str) -> str:
    return f"{amount / 100:,.2f} {currency}"


def _day(when: datetime | None) -> str:
    return when.date().isoformat() if when else ""


class SendEmailHandler:
    """Runs on the `emails_low` queue. A SendEmail with a `mail_id` is delivered from the outbox
    (claimed, sent, marked sent; a failure is retried in place with backoff a few times, then left
    to the retry sweep); one without is sent as it is."""

    def __init__(self, mailer: Mailer, uow: Callable[[], UnitOfWork] | None = None, clock: Clock | None = None,
                 attempts_in_task: int = 3, backoff: timedelta = BACKOFF_BASE, backoff_max: timedelta = BACKOFF_MAX):
        self.mailer, self.uow, self.clock = mailer, uow, clock
        self.attempts_in_task, self.backoff, self.backoff_max = attempts_in_task, backoff, backoff_max

    async def __call__(self, cmd: SendEmail) -> bool:
        if not cmd.mail_id or self.uow is None:
            await self.mailer.send(cmd.to, cmd.subject, cmd.body)
            return True
        for attempt in range(self.attempts_in_task):
            outcome, wait = await self.deliver(cmd.mail_id)
            if outcome != "retry" or attempt == self.attempts_in_task - 1:
                return outcome == "sent"
            await asyncio.sleep(wait)
        return False

    async def deliver(self, mail_id: str) -> tuple[str, float]:
        """One attempt: ("sent" | "done" | "busy" | "retry", seconds until the next attempt is due)."""
        now = self.clock.now()
        async with self.uow() as uow:
            mail = await uow.outbox.get(mail_id, for_update=True)
            if mail is None or mail.status is MailStatus.SENT:
                return "done", 0
            if not mail.claim(now, DELIVERY_LEASE):
                return "busy", 0
            await uow.outbox.save(mail)
            await uow.commit()
        try:
            await self.mailer.send(mail.to, mail.subject, mail.text, html=mail.html,
                                   headers={"Message-ID": f"<{mail.id}@buko>"})
        except Exception as exc:
            async with self.uow() as uow:
                mail = await uow.outbox.get(mail_id, for_update=True)
                mail.failed(self.clock.now(), f"{type(exc).__name__}: {exc}", self.backoff, self.backoff_max)
                await uow.outbox.save(mail)
                await uow.commit()
            log.warning("mail %s to %s not delivered (attempt %d): %s; retrying from %s", mail.id, mail.to,
                        mail.attempts, exc, mail.next_attempt_at)
            return "retry", (mail.next_attempt_at - self.clock.now()).total_seconds()
        async with self.uow() as uow:
            mail = await uow.outbox.get(mail_id, for_update=True)
            mail.delivered(self.clock.now())
            await uow.outbox.save(mail)
            await uow.commit()
        return "sent", 0


class MailRetry:
    """The retry sweep: queue again every pending mail whose next attempt is due."""

    def __init__(self, uow: Callable[[], UnitOfWork], queue: TaskQueue, clock: Clock):
        self.uow, self.queue, self.clock = uow, queue, clock

    async def __call__(self) -> int:
        async with self.uow() as uow:
            due = await uow.outbox.due(self.clock.now())
        for mail in due:
            await self.queue.enqueue(SendEmail(mail.to, mail.subject, mail.text, mail.html, mail.id))
        return len(due)
