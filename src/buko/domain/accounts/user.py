"""People who use Buko."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from buko.domain.errors import DomainError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$|^[^@\s]+@localhost$")
LOCALES = ("en", "es")
MIN_PASSWORD, MAX_PASSWORD = 10, 256


class Role(StrEnum):
    AUTHOR = "author"
    ADMIN = "admin"


class InvalidUser(DomainError):
    code = "invalid_user"


class WeakPassword(DomainError):
    code = "weak_password"


@dataclass
class User:
    id: str
    email: str
    name: str
    role: Role
    created_at: datetime
    locale: str = "en"
    password_hash: str = ""
    suspended: bool = False
    email_verified: bool = False

    def __post_init__(self) -> None:
        self.email = self.email.strip().lower()
        self.name = self.name.strip()
        if not _EMAIL.match(self.email) or len(self.email) > 254:
            raise InvalidUser(f"not a valid email address: {self.email!r}")
        if not self.name or len(self.name) > 120 or any(ord(c) < 32 for c in self.name):
            raise InvalidUser("name must be one line of 1 to 120 characters")
        if self.locale not in LOCALES:
            raise InvalidUser(f"locale must be one of {', '.join(LOCALES)}")

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def can_log_in(self) -> bool:
        return bool(self.password_hash) and not self.suspended


def check_password(password: str, email: str = "") -> None:
    """The rules a new password must meet (the hash is made outside the domain)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise WeakPassword(f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    if password.strip() != password or not password.strip():
        raise WeakPassword("password must not start or end with spaces")
    if email and password.lower() == email.strip().lower():
        raise WeakPassword("password must not be your email address")
    if len(set(password)) < 4:
        raise WeakPassword("password is too repetitive")
