"""People who use Buko."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from buko.domain.errors import DomainError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class Role(StrEnum):
    AUTHOR = "author"
    ADMIN = "admin"


class InvalidUser(DomainError):
    code = "invalid_user"


@dataclass
class User:
    id: str
    email: str
    name: str
    role: Role
    created_at: datetime

    def __post_init__(self) -> None:
        self.email = self.email.strip().lower()
        if not _EMAIL.match(self.email) or len(self.email) > 254:
            raise InvalidUser(f"not a valid email address: {self.email!r}")
        if not self.name.strip() or len(self.name) > 120:
            raise InvalidUser("name must be 1 to 120 characters")

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
