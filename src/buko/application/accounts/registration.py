"""Register users."""
from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable

from buko.application.commands import RegisterUser
from buko.application.ports import Clock, DuplicateKey, PasswordHasher, UnitOfWork
from buko.domain.accounts.user import Role, User, check_password
from buko.domain.errors import DomainError

log = logging.getLogger(__name__)


class EmailTaken(DomainError):
    code = "email_taken"


class RegisterUserHandler:
    """New accounts. With a password the account can log in; the hash is made before any I/O."""

    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock, hasher: PasswordHasher | None = None,
                 notify=None):
        self.uow, self.clock, self.hasher = uow, clock, hasher
        self.notify = notify  # notifications.Notifier: mails the address-verification link

    async def __call__(self, cmd: RegisterUser) -> str:
        try:
            role = Role(cmd.role)
        except ValueError:
            raise DomainError(f"unknown role {cmd.role!r}") from None
        user = User(id=uuid.uuid4().hex, email=cmd.email, name=cmd.name, role=role, created_at=self.clock.now(),
                    locale=cmd.locale)
        if cmd.password:
            check_password(cmd.password, user.email)
            if self.hasher is None:
                raise DomainError("this setup cannot store passwords")
            user.password_hash = await asyncio.to_thread(self.hasher.hash, cmd.password)
        async with self.uow() as uow:
            if await uow.users.get_by_email(user.email) is not None:
                raise EmailTaken(f"{user.email} is already registered")
            try:
                await uow.users.add(user)  # a concurrent registration may still win the race
                await uow.commit()
            except DuplicateKey as taken:
                raise EmailTaken(str(taken)) from None
        if self.notify is not None and user.password_hash:
            try:
                await self.notify.verify_address(user.id)
            except Exception:  # the account exists; the link can be sent again later
                log.warning("could not queue the verification mail for %s", user.id, exc_info=True)
        return user.id
