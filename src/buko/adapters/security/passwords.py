"""argon2id password hashes (argon2-cffi)."""
from __future__ import annotations

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError

from buko.application.ports import PasswordHasher


class Argon2PasswordHasher(PasswordHasher):
    """argon2-cffi's defaults (RFC 9106 low-memory profile); `fast` is for tests only."""

    def __init__(self, fast: bool = False):
        self._argon = Argon2(time_cost=1, memory_cost=1024, parallelism=1) if fast else Argon2()

    def hash(self, password: str) -> str:
        return self._argon.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._argon.check_needs_rehash(password_hash)
        except InvalidHashError:
            return False
