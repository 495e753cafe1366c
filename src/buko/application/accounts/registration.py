"""Register users."""
from __future__ import annotations

import uuid
from collections.abc import Callable

from buko.application.commands import RegisterUser
from buko.application.ports import Clock, DuplicateKey, UnitOfWork
from buko.domain.accounts.user import Role, User
from buko.domain.errors import DomainError


class EmailTaken(DomainError):
    code = "email_taken"


class RegisterUserHandler:
    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock):
        self.uow, self.clock = uow, clock

    async def __call__(self, cmd: RegisterUser) -> str:
        try:
            role = Role(cmd.role)
        except ValueError:
            raise DomainError(f"unknown role {cmd.role!r}") from None
        user = User(id=uuid.uuid4().hex, email=cmd.email, name=cmd.name, role=role, created_at=self.clock.now())
        async with self.uow() as uow:
            if await uow.users.get_by_email(user.email) is not None:
                raise EmailTaken(f"{user.email} is already registered")
            try:
                await uow.users.add(user)  # a concurrent registration may still win the race
                await uow.commit()
            except DuplicateKey as taken:
                raise EmailTaken(str(taken)) from None
        return user.id
