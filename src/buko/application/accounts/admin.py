"""What admins do to accounts: find them, suspend or restore them, make the first admin."""
from __future__ import annotations

from collections.abc import Callable

from buko.application.accounts.auth import CallerCache
from buko.application.commands import MakeAdmin, SuspendUser
from buko.application.ports import UnitOfWork
from buko.domain.accounts.user import Role, User
from buko.domain.errors import NotFound

MAX_PAGE = 100


class AccountAdmin:
    def __init__(self, uow: Callable[[], UnitOfWork], callers: CallerCache | None = None):
        self.uow, self.callers = uow, callers or CallerCache(ttl=0)

    async def users(self, search: str = "", offset: int = 0, limit: int = 20) -> tuple[list[User], int]:
        async with self.uow() as uow:
            return await uow.users.search(search, max(offset, 0), min(max(limit, 1), MAX_PAGE))

    async def suspend(self, cmd: SuspendUser) -> User:
        """A suspended account is refused everywhere: its sessions end now, its tokens stop working."""
        async with self.uow() as uow:
            user = await uow.users.get(cmd.user_id)
            if user is None:
                raise NotFound(f"no user {cmd.user_id}")
            user.suspended = cmd.suspended
            await uow.users.save(user)
            if cmd.suspended:
                await uow.sessions.remove_all_for(user.id)
            await uow.commit()
        self.callers.forget_user(user.id)
        return user

    async def make_admin(self, cmd: MakeAdmin) -> User:
        async with self.uow() as uow:
            user = await uow.users.get_by_email(cmd.email.strip().lower())
            if user is None:
                raise NotFound(f"no account with the email {cmd.email}; register it first")
            user.role = Role.ADMIN
            await uow.users.save(user)
            await uow.commit()
        self.callers.forget_user(user.id)
        return user
