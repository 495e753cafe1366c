"""Admin endpoints: users (list, search, suspend, plan), books by status (retry a failed one), queues.
Every route here requires the admin role (checked once, in `before_request`)."""
from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from quart import Blueprint, current_app
from quart_schema import validate_querystring, validate_request, validate_response

from buko.application.accounts.admin import AccountAdmin
from buko.application.billing.subscriptions import SubscribeHandler
from buko.application.books.lifecycle import ResumeBookHandler
from buko.application.commands import ResumeBook, Subscribe, SuspendUser
from buko.application.ports import QueueMonitor
from buko.application.queries import Queries
from buko.bootstrap import Container
from buko.config import Settings
from buko.entrypoints.http import present
from buko.entrypoints.http import schemas as s
from buko.entrypoints.http.auth import require_admin

bp = Blueprint("admin", __name__, url_prefix="/api/admin")


@bp.before_request
async def admins_only() -> None:
    require_admin()


@bp.get("/users")
@validate_querystring(s.UserQuery)
@validate_response(s.UserPageOut)
@inject
async def users(query_args: s.UserQuery, admin: AccountAdmin = Provide[Container.use_cases.account_admin]):
    """Users, newest first; `q` searches emails and names."""
    found, total = await admin.users(query_args.q, query_args.offset, query_args.limit)
    return s.UserPageOut(users=[present.user(u) for u in found], total=total, offset=query_args.offset,
                         limit=query_args.limit)


@bp.post("/users/<user_id>/suspend")
@validate_request(s.SuspendIn)
@validate_response(s.UserOut)
@inject
async def suspend(user_id: str, data: s.SuspendIn, admin: AccountAdmin = Provide[Container.use_cases.account_admin]):
    """Suspend (or restore) an account: it is refused everywhere and its open sockets close."""
    user = await admin.suspend(SuspendUser(user_id, data.suspended))
    if data.suspended:
        await current_app.extensions["buko_sockets"].close_user(user_id, "account_suspended")
    return present.user(user)


@bp.post("/users/<user_id>/plan")
@validate_request(s.PlanIn)
@validate_response(s.AcceptedOut)
@inject
async def change_plan(user_id: str, data: s.PlanIn, subscribe: SubscribeHandler = Provide[Container.use_cases.subscribe]):
    """Put an account on a plan (free, author, pro, studio) without a payment."""
    await subscribe(Subscribe(user_id, data.plan))
    return s.AcceptedOut(status="subscribed", detail=data.plan)


@bp.get("/books")
@validate_querystring(s.AdminBookQuery)
@validate_response(s.AdminBookPageOut)
@inject
async def books(query_args: s.AdminBookQuery, queries: Queries = Provide[Container.use_cases.queries]):
    """Every author's books, newest first, optionally by status."""
    page, total = await queries.summaries(status=query_args.status, offset=query_args.offset, limit=query_args.limit)
    return s.AdminBookPageOut(books=[present.summary(b, admin=True) for b in page], total=total,
                              offset=query_args.offset, limit=query_args.limit)


@bp.post("/books/<book_id>/retry")
@validate_response(s.AcceptedOut, 202)
@inject
async def retry(book_id: str, resume: ResumeBookHandler = Provide[Container.use_cases.resume_book],
                settings: Settings = Provide[Container.settings]):
    """Resume a failed book for its author."""
    status = await resume(ResumeBook(book_id, 1, takeover=settings.single_process))
    return s.AcceptedOut(status=status.value), 202


@bp.get("/queues")
@validate_response(s.QueuesOut)
@inject
async def queues(monitor: QueueMonitor = Provide[Container.gateways.queue_monitor]):
    """Each queue's waiting and unacknowledged tasks, consumers and live workers; open sockets here."""
    found = await monitor.status()
    return s.QueuesOut(queues=[s.QueueOut(**vars(q)) for q in found],
                       open_sockets=current_app.extensions["buko_sockets"].count)
