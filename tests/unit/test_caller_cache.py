"""Who-is-calling is remembered per process for a few seconds, and forgotten at once by what changes it."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from buko.application.accounts.admin import AccountAdmin
from buko.application.accounts.auth import AccountService, CallerCache
from buko.application.accounts.tokens import ApiTokens
from buko.application.commands import ChangePassword, CreateApiToken, LogIn, RevokeApiToken, SuspendUser
from buko.domain.accounts.credentials import TOKEN_PREFIX
from buko.domain.accounts.user import Role, User
from buko.domain.errors import Forbidden, Unauthenticated
from tests.unit.fakes import FakeClock, FakePasswordHasher, FakeUnitOfWork, Store


class Ticker:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class World:
    def __init__(self, ttl: float = 5.0) -> None:
        self.store, self.clock, self.ticker = Store(), FakeClock(), Ticker()
        self.reads = 0
        self.callers = CallerCache(ttl=ttl, monotonic=self.ticker)
        hasher = FakePasswordHasher()
        self.store.users["u1"] = User("u1", "ana@example.com", "Ana", Role.AUTHOR, datetime.now(UTC),
                                      password_hash=hasher.hash("a long enough password"))
        self.accounts = AccountService(self.uow, self.clock, hasher, read_uow=self.read_uow, callers=self.callers)
        self.tokens = ApiTokens(self.uow, self.clock, callers=self.callers)
        self.admin = AccountAdmin(self.uow, callers=self.callers)

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)

    def read_uow(self) -> FakeUnitOfWork:
        self.reads += 1
        return FakeUnitOfWork(self.store)


@pytest.fixture
async def world() -> World:
    return World()


async def test_a_token_is_looked_up_once_while_remembered(world: World):
    token, secret = await world.tokens.create(CreateApiToken("u1", "cli"))
    first = await world.accounts.by_token(secret)
    reads = world.reads
    for _ in range(5):
        assert (await world.accounts.by_token(secret)).user.id == "u1"
    assert world.reads == reads, "remembered callers cost no database read"
    assert first.user.email == "ana@example.com"


async def test_a_revoked_token_is_refused_at_once_in_this_process(world: World):
    token, secret = await world.tokens.create(CreateApiToken("u1", "cli"))
    await world.accounts.by_token(secret)
    await world.tokens.revoke(RevokeApiToken("u1", token.id))
    with pytest.raises(Unauthenticated):
        await world.accounts.by_token(secret)


async def test_a_suspension_is_refused_at_once_in_this_process(world: World):
    _, secret = await world.tokens.create(CreateApiToken("u1", "cli"))
    session = await world.accounts.log_in(LogIn("ana@example.com", "a long enough password"))
    await world.accounts.by_token(secret)
    await world.accounts.by_session(session.session_secret)
    await world.admin.suspend(SuspendUser("u1"))
    with pytest.raises(Forbidden):
        await world.accounts.by_token(secret)
    with pytest.raises(Unauthenticated):
        await world.accounts.by_session(session.session_secret)


async def test_a_change_made_by_another_process_is_seen_once_the_ttl_has_passed(world: World):
    _, secret = await world.tokens.create(CreateApiToken("u1", "cli"))
    await world.accounts.by_token(secret)
    world.store.users["u1"].suspended = True  # written by another web process: this one was not told
    assert (await world.accounts.by_token(secret)).user.id == "u1"
    world.ticker.now += 5.01
    with pytest.raises(Forbidden):
        await world.accounts.by_token(secret)


async def test_log_out_and_password_change_end_remembered_sessions(world: World):
    one = await world.accounts.log_in(LogIn("ana@example.com", "a long enough password"))
    two = await world.accounts.log_in(LogIn("ana@example.com", "a long enough password"))
    await world.accounts.by_session(one.session_secret)
    await world.accounts.by_session(two.session_secret)
    await world.accounts.log_out(one.session_secret)
    with pytest.raises(Unauthenticated):
        await world.accounts.by_session(one.session_secret)
    fresh = await world.accounts.change_password(ChangePassword("u1", "a long enough password", "another long password"))
    with pytest.raises(Unauthenticated):
        await world.accounts.by_session(two.session_secret)
    assert (await world.accounts.by_session(fresh.session_secret)).user.id == "u1"


async def test_an_expired_session_is_not_served_from_memory(world: World):
    session = await world.accounts.log_in(LogIn("ana@example.com", "a long enough password"))
    await world.accounts.by_session(session.session_secret)
    world.clock.advance(days=400)
    with pytest.raises(Unauthenticated):
        await world.accounts.by_session(session.session_secret)


async def test_ttl_zero_turns_the_cache_off():
    world = World(ttl=0)
    _, secret = await world.tokens.create(CreateApiToken("u1", "cli"))
    await world.accounts.by_token(secret)
    reads = world.reads
    await world.accounts.by_token(secret)
    assert world.reads == reads + 1


async def test_refused_credentials_are_not_remembered(world: World):
    with pytest.raises(Unauthenticated):
        await world.accounts.by_token(TOKEN_PREFIX + "x" * 40)
    assert world.callers._entries == {}
