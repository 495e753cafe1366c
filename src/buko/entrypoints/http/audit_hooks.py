"""Every change an admin makes (through the admin API or the admin pages) goes to the audit log once:
who, what, when, the target's state before and after, and the answer's status."""
from __future__ import annotations

import logging

from quart import Response, current_app, g, request

from buko.entrypoints.http.auth import SAFE_METHODS

log = logging.getLogger(__name__)
ADMIN_BLUEPRINTS = {"admin", "admin_pages", "admin_ops", "admin_dashboard"}
ACTIONS = {"suspend": "user.suspend", "change_plan": "user.plan", "plan": "user.plan", "retry": "book.retry",
           "retry_task": "task.retry", "reset_circuit": "model.reset_circuit"}
HIDDEN = {"csrf_token", "password", "current", "new", "token"}


def _use_cases():
    return current_app.extensions["buko_container"].use_cases


def _audited() -> bool:
    caller = g.get("caller")
    return (request.method not in SAFE_METHODS and request.blueprint in ADMIN_BLUEPRINTS
            and caller is not None and caller.user.is_admin)


async def _target() -> tuple[str, str, dict]:
    args, uc = request.view_args or {}, _use_cases()
    if "user_id" in args:
        return "user", args["user_id"], await uc.admin_view().user_state(args["user_id"])
    if "book_id" in args:
        return "book", args["book_id"], await uc.admin_view().book_state(args["book_id"])
    if "failure_id" in args:
        found = await uc.task_failures().get(args["failure_id"])
        state = {} if found is None else {"task": found.task, "kwargs": found.kwargs,
                                           "retried_at": found.retried_at.isoformat() if found.retried_at else None,
                                           "retried_by": found.retried_by}
        return "task", args["failure_id"], state
    if "circuit" in args:
        circuits = await uc.model_status().circuits()
        state = next(({"state": c.state, "failures": c.failures} for c in circuits if c.circuit == args["circuit"]), {})
        return "circuit", args["circuit"], state
    return "", "", {}


async def audit_before() -> None:
    if _audited():
        try:
            g.audit_before = await _target()
        except Exception:
            log.warning("audit: could not read the target before the action", exc_info=True)
            g.audit_before = ("", "", {})


async def _details() -> dict:
    if request.is_json:
        body = await request.get_json(silent=True)
    else:
        body = dict((await request.form).items())
    if not isinstance(body, dict):
        return {}
    return {k: v for k, v in body.items() if k not in HIDDEN}


async def audit_after(response: Response) -> Response:
    if "audit_before" not in g:
        return response
    kind, target, before = g.pop("audit_before")
    try:
        after = (await _target())[2]
        details = await _details()
        name = (request.endpoint or "").rsplit(".", 1)[-1]
        action = ACTIONS.get(name, f"{request.blueprint}.{name}")
        if action == "user.suspend" and str(details.get("suspended")).lower() in ("false", "0", ""):
            action = "user.reactivate"
        actor = g.caller.user
        await _use_cases().audit_log().record(actor.id, actor.email, action, kind, target, before, after,
                                              response.status_code, {**details, "via": request.blueprint})
    except Exception:  # the action happened; a lost audit row is logged loudly
        log.error("audit: could not record an admin action on %s %s", kind, target, exc_info=True)
    return response
