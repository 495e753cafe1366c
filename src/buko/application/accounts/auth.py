"""Logging in and out, browser sessions, and who is asking (session cookie or API token)."""
from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from buko.application.commands import ChangePassword, LogIn, UpdateProfile
from buko.application.ports import Clock, PasswordHasher, UnitOfWork
from buko.domain.accounts.credentials import SESSION_LIFETIME, TOKEN_PREFIX, Session
from buko.domain.accounts.user import User, check_password
from buko.domain.errors import Forbidden, NotFound, Unauthenticated

TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)
BAD_LOGIN = "email or password is not correct"


def digest(secret: str) -> str:
    """Secrets are random and long: a plain SHA-256 is the right way to store them (not a slow hash)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class LoggedIn:
    user: User
    session_secret: str
    csrf_token: str


@dataclass(frozen=True)
class Caller:
    """Who made a request, and how: a session must show its CSRF token for changes, a token need not."""

    user: User
    session: Session | None = None

    @property
    def via_session(self) -> bool:
        return self.session is not None


class CallerCache:
    """Who a credential belongs to, remembered for `ttl` seconds by this process.

    Every request starts by resolving its credential (two queries); the cache makes that free for a
    client's next requests. What changes an account in this process forgets it at once (log-out,
    revocation, suspension, password, profile); another process's change is seen within `ttl`
    (BUKO_AUTH_CACHE_SECONDS; 0 turns the cache off). Only accepted credentials are kept.
    """

    MAX_ENTRIES = 50_000

    def __init__(self, ttl: float = 5.0, monotonic: Callable[[], float] = time.monotonic):
        self.ttl, self.monotonic = ttl, monotonic
        self._entries: dict[str, tuple[float, Caller]] = {}

    def get(self, key: str) -> Caller | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self.monotonic():
            self._entries.pop(key, None)
            return None
        return entry[1]

    def put(self, key: str, caller: Caller) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            now = self.monotonic()
            self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
        self._entries[key] = (self.monotonic() + self.ttl, caller)

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)

    def forget_user(self, user_id: str) -> None:
        for key in [k for k, (_, c) in self._entries.items() if c.user.id == user_id]:
            self._entries.pop(key, None)


class AccountService:
    """Use cases of one's own account (the hash work runs off the event loop)."""

    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock, hasher: PasswordHasher,
                 session_lifetime: timedelta = SESSION_LIFETIME, read_uow: Callable[[], UnitOfWork] | None = None,
                 callers: CallerCache | None = None):
        self.uow, self.clock, self.hasher, self.lifetime = uow, clock, hasher, session_lifetime
        self.read_uow = read_uow or uow  # who-is-calling runs on every request: reads only, no write lock
        self.callers = callers or CallerCache(ttl=0)
        self._dummy_hash: str | None = None

    async def log_in(self, cmd: LogIn) -> LoggedIn:
        """A new session. The answer never tells whether the email exists (and takes as long)."""
        async with self.uow() as uow:
            user = await uow.users.get_by_email(cmd.email.strip().lower())
        if user is None or not user.password_hash:
            await asyncio.to_thread(self.hasher.verify, await self._dummy(), cmd.password)
            raise Unauthenticated(BAD_LOGIN)
        if not await asyncio.to_thread(self.hasher.verify, user.password_hash, cmd.password):
            raise Unauthenticated(BAD_LOGIN)
        if user.suspended:
            raise Forbidden("this account is suspended; write to support to have it restored")
        rehash = self.hasher.needs_rehash(user.password_hash)
        if rehash:
            user.password_hash = await asyncio.to_thread(self.hasher.hash, cmd.password)
        return await self._open_session(user, rehashed=rehash)

    async def _open_session(self, user: User, rehashed: bool = False) -> LoggedIn:
        secret, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(24), self.clock.now()
        async with self.uow() as uow:
            await uow.sessions.add(Session(digest(secret), user.id, csrf, now, now + self.lifetime))
            if rehashed:
                await uow.users.save(user)
            await uow.commit()
        return LoggedIn(user, secret, csrf)

    async def log_out(self, session_secret: str) -> None:
        self.callers.forget("s:" + digest(session_secret))
        async with self.uow() as uow:
            await uow.sessions.remove(digest(session_secret))
            await uow.commit()

    async def by_session(self, session_secret: str) -> Caller:
        now = self.clock.now()
        key = "s:" + digest(session_secret)
        cached = self.callers.get(key)
        if cached is not None and cached.session is not None and cached.session.live_at(now):
            return cached
        async with self.read_uow() as uow:
            session = await uow.sessions.get(digest(session_secret))
            user = await uow.users.get(session.user_id) if session is not None else None
        if session is None:
            raise Unauthenticated("not logged in")
        if not session.live_at(now):
            async with self.uow() as uow:
                await uow.sessions.remove(session.secret_hash)
                await uow.commit()
            raise Unauthenticated("your session has expired; log in again")
        caller = Caller(_usable(user), session)
        self.callers.put(key, caller)
        return caller

    async def by_token(self, token: str) -> Caller:
        if not token.startswith(TOKEN_PREFIX):
            raise Unauthenticated("not a Buko API token")
        key = "t:" + digest(token)
        cached = self.callers.get(key)
        if cached is not None:
            return cached
        now = self.clock.now()
        async with self.read_uow() as uow:
            found = await uow.tokens.by_secret(digest(token))
            user = await uow.users.get(found.user_id) if found is not None else None
        if found is None or not found.active:
            raise Unauthenticated("this API token is not valid (revoked or unknown)")
        if found.last_used_at is None or now - found.last_used_at > TOKEN_TOUCH_INTERVAL:
            async with self.uow() as uow:  # not on every request: writes cost
                await uow.tokens.save(replace(found, last_used_at=now))
                await uow.commit()
        caller = Caller(_usable(user))
        self.callers.put(key, caller)
        return caller

    async def change_password(self, cmd: ChangePassword) -> LoggedIn:
        """Every session of the account ends; the caller gets a fresh one."""
        async with self.uow() as uow:
            user = await uow.users.get(cmd.user_id)
        if user is None:
            raise NotFound("no such user")
        if not user.password_hash or not await asyncio.to_thread(self.hasher.verify, user.password_hash, cmd.current):
            raise Forbidden("the current password is not correct")
        check_password(cmd.new, user.email)
        user.password_hash = await asyncio.to_thread(self.hasher.hash, cmd.new)
        async with self.uow() as uow:
            await uow.users.save(user)
            await uow.sessions.remove_all_for(user.id)
            await uow.commit()
        self.callers.forget_user(user.id)
        return await self._open_session(user)

    async def update_profile(self, cmd: UpdateProfile) -> User:
        async with self.uow() as uow:
            user = await uow.users.get(cmd.user_id)
            if user is None:
                raise NotFound("no such user")
            changed = User(**{**vars(user), **{k: v for k, v in (("name", cmd.name), ("locale", cmd.locale))
                                               if v is not None}})
            await uow.users.save(changed)
            await uow.commit()
        self.callers.forget_user(changed.id)
        return changed

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(self.hasher.hash, secrets.token_urlsafe(16))
        return self._dummy_hash


def _usable(user: User | None) -> User:
    if user is None:
        raise Unauthenticated("this account no longer exists")
    if user.suspended:
        raise Forbidden("this account is suspended")
    return user
