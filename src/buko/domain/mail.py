"""Mail waiting to be delivered: kept until the SMTP server took it, retried with backoff."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class MailStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"


BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)


@dataclass
class OutgoingMail:
    """`key` makes a notification unique (e.g. "book_ready:<book id>"): asked for twice, sent once."""

    id: str
    key: str
    to: str
    kind: str
    locale: str
    subject: str
    text: str
    html: str
    created_at: datetime
    status: MailStatus = MailStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    lease_until: datetime | None = None
    last_error: str = ""
    sent_at: datetime | None = None

    def claim(self, now: datetime, lease: timedelta) -> bool:
        """Take the mail for one delivery attempt; False when it is sent or another attempt holds it."""
        if self.status is MailStatus.SENT or (self.lease_until is not None and self.lease_until > now):
            return False
        self.lease_until = now + lease
        return True

    def delivered(self, now: datetime) -> None:
        self.status, self.sent_at, self.lease_until, self.last_error = MailStatus.SENT, now, None, ""

    def failed(self, now: datetime, error: str, base: timedelta = BACKOFF_BASE,
               ceiling: timedelta = BACKOFF_MAX) -> None:
        """Exponential backoff: base, 2×base, 4×base… up to `ceiling`."""
        self.attempts += 1
        self.lease_until = None
        self.last_error = error[:500]
        self.next_attempt_at = now + min(base * (2 ** (self.attempts - 1)), ceiling)
