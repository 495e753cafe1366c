"""The operations ledgers on SQL: model calls, milestones, the audit log, failed tasks.

Each call is its own short transaction: these records are written beside the work (after a model
call, after an event), never inside a use case's unit of work.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from buko.adapters.persistence.ops_tables import audit_log, book_milestones, model_calls, task_failures
from buko.adapters.persistence.tables import books
from buko.application.operations.ports import (
    AuditEntry,
    AuditTrail,
    Milestones,
    ModelCall,
    ModelCallLedger,
    TaskFailure,
    TaskFailures,
)


class _Ledger:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]):
        self.sessionmaker = sessionmaker

    def _insert(self, session: AsyncSession, table):
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    async def _write(self, statement) -> int:
        async with self.sessionmaker() as session:
            result = await session.execute(statement)
            await session.commit()
            return result.rowcount



class SqlModelCallLedger(_Ledger, ModelCallLedger):
    async def record(self, call: ModelCall) -> None:
        await self._write(sa.insert(model_calls).values(**asdict(call)))

    async def recent_failures(self, limit: int = 20) -> list[ModelCall]:
        query = (sa.select(model_calls).where(model_calls.c.outcome != "ok")
                 .order_by(model_calls.c.at.desc()).limit(limit))
        async with self.sessionmaker() as session:
            return [ModelCall(**dict(r)) for r in (await session.execute(query)).mappings()]



class SqlMilestones(_Ledger, Milestones):
    async def reached(self, book_id: str, milestone: str, at: datetime) -> None:
        async with self.sessionmaker() as session:
            owner = (await session.execute(sa.select(books.c.owner_id).where(books.c.id == book_id))).scalar()
            if owner is None:
                return
            insert = self._insert(session, book_milestones).values(book_id=book_id, milestone=milestone,
                                                                    user_id=owner, at=at)
            await session.execute(insert.on_conflict_do_nothing())
            await session.commit()



class SqlAuditTrail(_Ledger, AuditTrail):
    async def add(self, entry: AuditEntry) -> None:
        await self._write(sa.insert(audit_log).values(**asdict(entry)))

    async def page(self, offset: int = 0, limit: int = 50, action: str = "") -> tuple[list[AuditEntry], int]:
        where = [audit_log.c.action == action] if action else []
        query = (sa.select(audit_log).where(*where).order_by(audit_log.c.at.desc(), audit_log.c.id)
                 .offset(offset).limit(limit))
        async with self.sessionmaker() as session:
            rows = (await session.execute(query)).mappings().all()
            total = (await session.execute(sa.select(sa.func.count()).select_from(audit_log).where(*where))).scalar()
        return [AuditEntry(**dict(r)) for r in rows], int(total)



class SqlTaskFailures(_Ledger, TaskFailures):
    async def add(self, failure: TaskFailure) -> None:
        await self._write(sa.insert(task_failures).values(**asdict(failure)))

    async def get(self, failure_id: str) -> TaskFailure | None:
        async with self.sessionmaker() as session:
            row = (await session.execute(sa.select(task_failures).where(task_failures.c.id == failure_id))
                   ).mappings().first()
        return TaskFailure(**dict(row)) if row else None

    async def recent(self, limit: int = 50) -> list[TaskFailure]:
        query = sa.select(task_failures).order_by(task_failures.c.failed_at.desc()).limit(limit)
        async with self.sessionmaker() as session:
            return [TaskFailure(**dict(r)) for r in (await session.execute(query)).mappings()]

    async def mark_retried(self, failure_id: str, by: str, at: datetime) -> bool:
        statement = (sa.update(task_failures)
                     .where(task_failures.c.id == failure_id, task_failures.c.retried_at.is_(None))
                     .values(retried_at=at, retried_by=by))
        return await self._write(statement) == 1
