"""Browser sessions and personal API tokens. Only hashes of their secrets are kept."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from buko.domain.errors import DomainError

SESSION_LIFETIME = timedelta(days=14)
MAX_TOKENS_PER_USER = 20
TOKEN_PREFIX = "buko_"


class InvalidToken(DomainError):
    code = "invalid_token"


@dataclass
class Session:
    """A logged-in browser. `csrf_token` must accompany every change made with the cookie."""

    secret_hash: str
    user_id: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime

    def live_at(self, now: datetime) -> bool:
        return now < self.expires_at


@dataclass
class ApiToken:
    id: str
    user_id: str
    name: str
    secret_hash: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    def __post_init__(self) -> None:
        self.name = self.name.strip()
        if not self.name or len(self.name) > 80 or any(ord(c) < 32 for c in self.name):
            raise InvalidToken("token name must be one line of 1 to 80 characters")

    @property
    def active(self) -> bool:
        return self.revoked_at is None
