"""Admin pages of the operations context: live analytics, queues in detail with failed tasks, the model,
the audit log, one user's books and spend. Over the same use cases as /api/admin."""
from __future__ import annotations

from quart import Blueprint, current_app, redirect, request, url_for

from buko.application.operations.analytics import RANGES
from buko.entrypoints.http.auth import caller
from buko.entrypoints.http.pages.web import admin_required, render, use_cases

bp = Blueprint("admin_dashboard", __name__, url_prefix="/admin")
AUDIT_PAGE = 100


@bp.get("/analytics")
@admin_required
async def analytics():
    chosen = request.args.get("range", "7d")
    chosen = chosen if chosen in RANGES else "7d"
    report = await use_cases().analytics().report(chosen)
    return render("admin/analytics.html", report=report, ranges=list(RANGES), chosen=chosen, section="analytics")


@bp.get("/tasks")
@admin_required
async def tasks():
    uc = use_cases()
    return render("admin/tasks.html", queues=await uc.queue_details().details(),
                  failed=await uc.failed_tasks().recent(), sockets=current_app.extensions["buko_sockets"].count,
                  section="tasks")


@bp.post("/tasks/<failure_id>/retry")
@admin_required
async def retry_task(failure_id: str):
    await use_cases().failed_tasks().retry(failure_id, caller().user.id)
    return redirect(url_for("admin_dashboard.tasks") + "?notice=task_retried", 303)


@bp.get("/model")
@admin_required
async def model():
    uc = use_cases()
    llm, status = uc.observed_llm(), uc.model_status()
    return render("admin/model.html", model=llm.name, demo=llm.demo, circuits=await status.circuits(),
                  headroom=await status.headroom(), errors=await uc.model_calls().recent_failures(),
                  section="model")


@bp.post("/model/circuits/<circuit>/reset")
@admin_required
async def reset_circuit(circuit: str):
    await use_cases().model_status().reset(circuit)
    return redirect(url_for("admin_dashboard.model") + "?notice=circuit_reset", 303)


@bp.get("/audit")
@admin_required
async def audit():
    action = request.args.get("action", "")[:80]
    entries, total = await use_cases().audit_log().page(0, AUDIT_PAGE, action)
    return render("admin/audit.html", entries=entries, total=total, action=action, section="audit")


@bp.get("/users/<user_id>")
@admin_required
async def user(user_id: str):
    detail = await use_cases().admin_view().user_detail(user_id)
    from buko.domain.billing.plans import CATALOGUE

    return render("admin/user.html", detail=detail, plans=list(CATALOGUE), section="users")
