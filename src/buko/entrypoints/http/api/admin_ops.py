"""Admin operations: live analytics (JSON, CSV, server-sent events), queues in detail with failed tasks
and their retry, the model's circuit breaker and limits, the audit log, one user's books and spend.
Every route requires the admin role."""
from __future__ import annotations

import asyncio
import json

from dependency_injector.wiring import Provide, inject
from quart import Blueprint, Response, current_app, make_response
from quart_schema import validate_querystring, validate_response

from buko.application.operations.admin_view import AdminView
from buko.application.operations.analytics import Analytics
from buko.application.operations.audit import AuditLog
from buko.application.operations.failures import FailedTasks
from buko.application.operations.ports import ModelCallLedger, ModelStatus, QueueDetails
from buko.application.ports import LanguageModel
from buko.bootstrap import Container
from buko.config import Settings
from buko.domain.errors import NotFound
from buko.entrypoints.http import ops_schemas as o
from buko.entrypoints.http import present
from buko.entrypoints.http.auth import caller, require_admin

bp = Blueprint("admin_ops", __name__, url_prefix="/api/admin")


@bp.before_request
async def admins_only() -> None:
    require_admin()


def csv_response(text: str, name: str) -> Response:
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/analytics")
@validate_querystring(o.RangeQuery)
@validate_response(o.AnalyticsOut)
@inject
async def analytics(query_args: o.RangeQuery, analytics: Analytics = Provide[Container.use_cases.analytics]):
    """Books, words, tokens, cost, revenue, subscriptions, funnel and latency, read from the database."""
    return o.AnalyticsOut(**await analytics.report(query_args.range))


@bp.get("/analytics.csv")
@validate_querystring(o.RangeQuery)
@inject
async def analytics_csv(query_args: o.RangeQuery, analytics: Analytics = Provide[Container.use_cases.analytics]):
    """The analytics of a range as CSV (section, key, metric, value)."""
    return csv_response(await analytics.csv(query_args.range), f"buko-analytics-{query_args.range}.csv")


@bp.get("/analytics/stream")
@validate_querystring(o.RangeQuery)
@inject
async def analytics_stream(query_args: o.RangeQuery, analytics: Analytics = Provide[Container.use_cases.analytics],
                           settings: Settings = Provide[Container.settings]):
    """Server-sent events: the analytics of a range now, then again every BUKO_ANALYTICS_PUSH_SECONDS."""
    every, chosen = settings.analytics_push_seconds, query_args.range

    async def events():
        while True:
            report = await analytics.report(chosen)
            yield f"event: analytics\ndata: {json.dumps(report, ensure_ascii=False)}\n\n".encode()
            await asyncio.sleep(every)

    response = await make_response(events(), 200, {"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                                   "X-Accel-Buffering": "no"})
    response.timeout = None
    return response


def _failed(f) -> o.FailedTaskOut:
    return o.FailedTaskOut(id=f.id, task_id=f.task_id, queue=f.queue, task=f.task, kwargs=f.kwargs, error=f.error,
                           failed_at=f.failed_at, retried_at=f.retried_at, retried_by=f.retried_by)


@bp.get("/queues/detail")
@validate_response(o.QueuesDetailOut)
@inject
async def queues_detail(details: QueueDetails = Provide[Container.use_cases.queue_details],
                        failed: FailedTasks = Provide[Container.use_cases.failed_tasks]):
    """Each queue's consumers and heartbeats, tasks in flight with their age, and the failed tasks."""
    queues = [o.QueueDetailOut(queue=q.queue, backend=q.backend, waiting=q.waiting, pending=q.pending,
                               consumers=[o.ConsumerOut(**vars(c)) for c in q.consumers],
                               in_flight=[o.InFlightOut(**vars(t)) for t in q.in_flight])
              for q in await details.details()]
    return o.QueuesDetailOut(queues=queues, failed=[_failed(f) for f in await failed.recent()],
                             open_sockets=current_app.extensions["buko_sockets"].count)


@bp.get("/tasks/failed")
@validate_response(o.FailedTasksOut)
@inject
async def failed_tasks(failed: FailedTasks = Provide[Container.use_cases.failed_tasks]):
    """Tasks that raised in a worker, newest first."""
    return o.FailedTasksOut(failed=[_failed(f) for f in await failed.recent()])


@bp.post("/tasks/failed/<failure_id>/retry")
@validate_response(o.FailedTaskOut, 202)
@inject
async def retry_task(failure_id: str, failed: FailedTasks = Provide[Container.use_cases.failed_tasks]):
    """Send a failed task back to its queue with the same arguments (once)."""
    return _failed(await failed.retry(failure_id, caller().user.id)), 202


async def model_report(llm: LanguageModel, status: ModelStatus, ledger: ModelCallLedger) -> o.ModelOut:
    return o.ModelOut(
        model=llm.name, demo=llm.demo,
        circuits=[o.CircuitOut(**vars(c)) for c in await status.circuits()],
        headroom=[o.HeadroomOut(**vars(h)) for h in await status.headroom()],
        recent_errors=[o.ModelCallOut(at=c.at, model=c.model, kind=c.kind, outcome=c.outcome, seconds=c.seconds,
                                      book_id=c.book_id, chunk_index=c.chunk_index, error=c.error)
                       for c in await ledger.recent_failures()],
    )


@bp.get("/model")
@validate_response(o.ModelOut)
@inject
async def model(llm: LanguageModel = Provide[Container.use_cases.observed_llm],
                status: ModelStatus = Provide[Container.use_cases.model_status],
                ledger: ModelCallLedger = Provide[Container.use_cases.model_calls]):
    """The model's circuit breaker, its rate-limit headroom and its last errors."""
    return await model_report(llm, status, ledger)


@bp.post("/model/circuits/<circuit>/reset")
@validate_response(o.CircuitOut)
@inject
async def reset_circuit(circuit: str, status: ModelStatus = Provide[Container.use_cases.model_status]):
    """Close the model's circuit now (the next call goes through)."""
    found = await status.reset(circuit)
    if found is None:
        raise NotFound(f"no circuit {circuit!r}")
    return o.CircuitOut(**vars(found))


def _entry(e) -> o.AuditEntryOut:
    return o.AuditEntryOut(**vars(e))


@bp.get("/audit")
@validate_querystring(o.AuditQuery)
@validate_response(o.AuditPageOut)
@inject
async def audit(query_args: o.AuditQuery, log: AuditLog = Provide[Container.use_cases.audit_log]):
    """Every admin action, newest first: who, what, when, before and after."""
    entries, total = await log.page(query_args.offset, query_args.limit, query_args.action)
    return o.AuditPageOut(entries=[_entry(e) for e in entries], total=total, offset=query_args.offset,
                          limit=query_args.limit)


@bp.get("/audit.csv")
@inject
async def audit_csv(log: AuditLog = Provide[Container.use_cases.audit_log]):
    """The whole audit log as CSV."""
    return csv_response(await log.csv(), "buko-audit-log.csv")


@bp.get("/users/<user_id>")
@validate_response(o.UserDetailOut)
@inject
async def user_detail(user_id: str, view: AdminView = Provide[Container.use_cases.admin_view]):
    """One account: its plan, its books and what they cost."""
    found = await view.user_detail(user_id)
    return o.UserDetailOut(user=present.user(found.user), plan=found.plan,
                           subscription_status=found.subscription_status,
                           books=[present.summary(b, admin=True) for b in found.books], books_total=found.books_total,
                           spend_usd=found.spend_usd, words_written=found.words_written)
