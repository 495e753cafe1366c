"""The SQLAlchemy unit of work: one AsyncSession, one transaction, per `async with`."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from buko.adapters.persistence.repositories import (
    SqlAlchemyApiTokenRepository,
    SqlAlchemyBookRepository,
    SqlAlchemySessionRepository,
    SqlAlchemyUserRepository,
)
from buko.adapters.persistence.billing_repositories import (
    SqlAlchemyGatewayPlanRepository,
    SqlAlchemyInvoiceRepository,
    SqlAlchemyMailOutbox,
    SqlAlchemyPaymentEventRepository,
    SqlAlchemySubscriptionRepository,
)
from buko.application.ports import UnitOfWork


class SqlAlchemyUnitOfWork(UnitOfWork):
    """Opens a new session on enter; `commit()` saves every book seen, then commits.

    Leaving the block without `commit()` (or with an exception) rolls back. Not safe to share
    between concurrent tasks: make one per use-case call.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]):
        self._sessionmaker = sessionmaker
        self.session: AsyncSession | None = None

    async def __aenter__(self) -> SqlAlchemyUnitOfWork:
        if self.session is not None:
            raise RuntimeError("this unit of work is already open")
        self.session = self._sessionmaker()
        self.books = SqlAlchemyBookRepository(self.session)
        self.users = SqlAlchemyUserRepository(self.session)
        self.subscriptions = SqlAlchemySubscriptionRepository(self.session)
        self.sessions = SqlAlchemySessionRepository(self.session)
        self.tokens = SqlAlchemyApiTokenRepository(self.session)
        self.payment_events = SqlAlchemyPaymentEventRepository(self.session)
        self.invoices = SqlAlchemyInvoiceRepository(self.session)
        self.gateway_plans = SqlAlchemyGatewayPlanRepository(self.session)
        self.outbox = SqlAlchemyMailOutbox(self.session)
        return self

    async def __aexit__(self, *exc_info) -> None:
        session, self.session = self.session, None
        try:
            await session.rollback()
        finally:
            await session.close()

    async def commit(self) -> None:
        for book in list(self.books.seen):
            await self.books.save(book)
        await self._open().commit()

    async def rollback(self) -> None:
        await self._open().rollback()

    def _open(self) -> AsyncSession:
        if self.session is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self.session
