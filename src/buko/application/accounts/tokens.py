"""Personal API tokens: made once (the secret is shown only then), listed, revoked."""
from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import replace

from buko.application.accounts.auth import CallerCache, digest
from buko.application.commands import CreateApiToken, RevokeApiToken
from buko.application.ports import Clock, UnitOfWork
from buko.domain.accounts.credentials import MAX_TOKENS_PER_USER, TOKEN_PREFIX, ApiToken, InvalidToken
from buko.domain.errors import NotFound


class ApiTokens:
    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock, callers: CallerCache | None = None):
        self.uow, self.clock, self.callers = uow, clock, callers or CallerCache(ttl=0)

    async def create(self, cmd: CreateApiToken) -> tuple[ApiToken, str]:
        """The stored token and its secret, which is never shown again."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(uuid.uuid4().hex[:16], cmd.user_id, cmd.name, digest(secret), self.clock.now())
        async with self.uow() as uow:
            if sum(t.active for t in await uow.tokens.list_for(cmd.user_id)) >= MAX_TOKENS_PER_USER:
                raise InvalidToken(f"an account has at most {MAX_TOKENS_PER_USER} active tokens; revoke one first")
            await uow.tokens.add(token)
            await uow.commit()
        return token, secret

    async def list(self, user_id: str) -> list[ApiToken]:
        async with self.uow() as uow:
            return await uow.tokens.list_for(user_id)

    async def revoke(self, cmd: RevokeApiToken) -> None:
        async with self.uow() as uow:
            token = next((t for t in await uow.tokens.list_for(cmd.user_id) if t.id == cmd.token_id), None)
            if token is None:
                raise NotFound(f"no token {cmd.token_id}")
            if token.active:
                await uow.tokens.save(replace(token, revoked_at=self.clock.now()))
                await uow.commit()
            self.callers.forget("t:" + token.secret_hash)
