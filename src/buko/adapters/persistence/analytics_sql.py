"""The admin's analytics, aggregated by SQL (days are UTC calendar days)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from buko.adapters.persistence.ops_tables import book_milestones, model_calls
from buko.adapters.persistence.tables import books, invoices, subscriptions, users
from buko.application.operations.ports import MILESTONES, AnalyticsFigures, AnalyticsReader, DailyFigures


def _day(column, dialect: str):
    """The UTC calendar day of a timestamp column, as an ISO date string on both backends."""
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD")
    return sa.func.strftime("%Y-%m-%d", column)  # SQLite keeps naive UTC


class SqlAnalytics(AnalyticsReader):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]):
        self.sessionmaker = sessionmaker

    async def books_by_status(self) -> dict[str, int]:
        async with self.sessionmaker() as session:
            rows = await session.execute(sa.select(books.c.status, sa.func.count()).group_by(books.c.status))
            return {status: int(n) for status, n in rows.all()}

    async def figures(self, since: datetime, until: datetime) -> AnalyticsFigures:
        async with self.sessionmaker() as session:
            dialect = session.get_bind().dialect.name
            per_day: dict[str, dict] = {}
            for day in _days(since.date(), until.date()):
                per_day[day.isoformat()] = {"day": day}

            async def by_day(column, *values, where=()):
                day = _day(column, dialect)
                query = sa.select(day, *values).where(column >= since, column < until, *where).group_by(day)
                return (await session.execute(query)).all()

            for day, n in await by_day(books.c.created_at, sa.func.count()):
                per_day.setdefault(day, {"day": date.fromisoformat(day)})["books_started"] = int(n)
            for day, n in await by_day(book_milestones.c.at, sa.func.count(),
                                       where=[book_milestones.c.milestone == "written"]):
                per_day.setdefault(day, {"day": date.fromisoformat(day)})["books_finished"] = int(n)
            calls = await by_day(model_calls.c.at, sa.func.sum(model_calls.c.words),
                                 sa.func.sum(model_calls.c.input_tokens), sa.func.sum(model_calls.c.output_tokens),
                                 sa.func.sum(model_calls.c.cost_usd))
            for day, words, tokens_in, tokens_out, cost in calls:
                per_day.setdefault(day, {"day": date.fromisoformat(day)}).update(
                    words=int(words or 0), input_tokens=int(tokens_in or 0), output_tokens=int(tokens_out or 0),
                    cost_usd=float(cost or 0.0))
            in_range = [model_calls.c.at >= since, model_calls.c.at < until]
            cost_by_model = {m: float(c or 0) for m, c in (await session.execute(
                sa.select(model_calls.c.model, sa.func.sum(model_calls.c.cost_usd)).where(*in_range)
                .group_by(model_calls.c.model))).all()}
            ok_chunks = [*in_range, model_calls.c.kind == "chunk", model_calls.c.outcome == "ok"]
            chunk_seconds = [float(s) for s in (await session.execute(
                sa.select(model_calls.c.seconds).where(*ok_chunks))).scalars()]
            generating = model_calls.c.seconds - sa.func.coalesce(model_calls.c.first_token_seconds, 0.0)
            rates = {}
            for model, tokens, seconds in (await session.execute(
                    sa.select(model_calls.c.model, sa.func.sum(model_calls.c.output_tokens), sa.func.sum(generating))
                    .where(*in_range, model_calls.c.outcome == "ok").group_by(model_calls.c.model))).all():
                if seconds and float(seconds) > 0:
                    rates[model] = int(tokens or 0) / float(seconds)
            revenue = [
                {"currency": currency, "plan": plan, "gateway": gateway, "amount": int(amount), "payments": int(n)}
                for currency, plan, gateway, amount, n in (await session.execute(
                    sa.select(invoices.c.currency, invoices.c.plan_code, invoices.c.gateway,
                              sa.func.sum(invoices.c.amount), sa.func.count())
                    .where(invoices.c.status == "paid", invoices.c.created_at >= since, invoices.c.created_at < until)
                    .group_by(invoices.c.currency, invoices.c.plan_code, invoices.c.gateway)
                    .order_by(invoices.c.currency, invoices.c.plan_code, invoices.c.gateway))).all()
            ]
            active = [
                {"plan": plan, "gateway": gateway, "count": int(n)}
                for plan, gateway, n in (await session.execute(
                    sa.select(subscriptions.c.plan_code, subscriptions.c.gateway, sa.func.count())
                    .where(subscriptions.c.status == "active")
                    .group_by(subscriptions.c.plan_code, subscriptions.c.gateway)
                    .order_by(subscriptions.c.plan_code, subscriptions.c.gateway))).all()
            ]
            funnel = await self._funnel(session, since, until)
        days = [DailyFigures(**values) for _key, values in sorted(per_day.items())]
        return AnalyticsFigures(days=days, cost_by_model=cost_by_model, revenue=revenue, active_subscriptions=active,
                                funnel=funnel, chunk_seconds=chunk_seconds, tokens_per_second=rates,
                                books_by_status=await self.books_by_status())

    async def _funnel(self, session: AsyncSession, since: datetime, until: datetime) -> dict[str, int]:
        """The users who registered in the range, and how many of them reached each milestone (ever)."""
        cohort = [users.c.created_at >= since, users.c.created_at < until]
        funnel = {"registered": int((await session.execute(
            sa.select(sa.func.count()).select_from(users).where(*cohort))).scalar())}
        for milestone in MILESTONES:
            query = (sa.select(sa.func.count(sa.distinct(book_milestones.c.user_id)))
                     .select_from(book_milestones.join(users, users.c.id == book_milestones.c.user_id))
                     .where(book_milestones.c.milestone == milestone, *cohort))
            funnel[milestone] = int((await session.execute(query)).scalar())
        return funnel


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
