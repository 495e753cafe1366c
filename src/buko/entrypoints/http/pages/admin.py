"""Admin pages over the admin use cases: users (search, suspend, plan), books by status (retry), queues."""
from __future__ import annotations

from quart import Blueprint, current_app, request, url_for, redirect

from buko.application.commands import ResumeBook, Subscribe, SuspendUser
from buko.domain.billing.plans import CATALOGUE
from buko.entrypoints.http.pages.web import STATUS_NAMES, admin_required, container, form, render, use_cases

bp = Blueprint("admin_pages", __name__, url_prefix="/admin")
PAGE = 50


@bp.get("/users")
@admin_required
async def users():
    q = request.args.get("q", "")[:254]
    found, total = await use_cases().account_admin().users(q, 0, PAGE)
    return render("admin_users.html", users=found, total=total, q=q, plans=list(CATALOGUE), section="users")


@bp.post("/users/<user_id>/suspend")
@admin_required
async def suspend(user_id: str):
    suspended = (await form()).get("suspended") == "1"
    await use_cases().account_admin().suspend(SuspendUser(user_id, suspended))
    if suspended:
        await current_app.extensions["buko_sockets"].close_user(user_id, "account_suspended")
    return redirect(url_for("admin_pages.users") + f"?notice={'suspended' if suspended else 'restored'}", 303)


@bp.post("/users/<user_id>/plan")
@admin_required
async def plan(user_id: str):
    await use_cases().subscribe()(Subscribe(user_id, (await form()).get("plan", "")))
    return redirect(url_for("admin_pages.users") + "?notice=plan", 303)


@bp.get("/books")
@admin_required
async def books():
    status = request.args.get("status") or None
    if status not in STATUS_NAMES:
        status = None
    found, total = await use_cases().queries().summaries(status=status, offset=0, limit=PAGE)
    return render("admin_books.html", books=found, total=total, status=status, section="books")


@bp.post("/books/<book_id>/retry")
@admin_required
async def retry(book_id: str):
    settings = container().settings()
    await use_cases().resume_book()(ResumeBook(book_id, 1, takeover=settings.single_process))
    return redirect(url_for("admin_pages.books") + "?status=failed&notice=retried", 303)


@bp.get("/queues")
@admin_required
async def queues():
    found = await container().gateways.queue_monitor().status()
    return render("admin_queues.html", queues=found, sockets=current_app.extensions["buko_sockets"].count,
                  section="queues")
