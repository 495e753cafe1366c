"""What an admin sees of one account or book: its state (for the audit log's before/after), a user's
books and spend."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from buko.application.ports import BookSummary, UnitOfWork
from buko.domain.accounts.user import User
from buko.domain.errors import NotFound

MAX_BOOKS = 200


@dataclass(frozen=True)
class UserDetail:
    user: User
    plan: str
    subscription_status: str
    books: list[BookSummary]
    books_total: int
    spend_usd: float
    words_written: int


class AdminView:
    def __init__(self, uow: Callable[[], UnitOfWork]):
        self.uow = uow

    async def user_state(self, user_id: str) -> dict:
        async with self.uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                return {}
            subscription = await uow.subscriptions.get_for_user(user_id)
        return {"email": user.email, "role": user.role.value, "suspended": user.suspended,
                "plan": subscription.plan_code if subscription else "free",
                "subscription_status": str(subscription.status.value) if subscription else ""}

    async def book_state(self, book_id: str) -> dict:
        async with self.uow() as uow:
            book = await uow.books.get(book_id)
        if book is None:
            return {}
        return {"status": book.status.value, "failure": book.failure, "owner_id": book.owner_id,
                "chunks_done": sum(1 for c in book.chunks if c.done)}

    async def user_detail(self, user_id: str) -> UserDetail:
        async with self.uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound(f"no user {user_id}")
            subscription = await uow.subscriptions.get_for_user(user_id)
            books, total = await uow.books.summaries(owner_id=user_id, offset=0, limit=MAX_BOOKS)
        return UserDetail(user=user, plan=subscription.plan_code if subscription else "free",
                          subscription_status=str(subscription.status.value) if subscription else "",
                          books=books, books_total=total, spend_usd=round(sum(b.cost_usd for b in books), 6),
                          words_written=sum(b.words_written for b in books))
