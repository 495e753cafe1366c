"""Every failure answers with one JSON shape: {"error": {"code", "message", "details"}}.

Domain errors map to HTTP statuses here, once; routes never catch them.
"""
from __future__ import annotations

import logging

from quart import Quart, current_app, request
from quart_schema import RequestSchemaValidationError
from redis.exceptions import ConnectionError as RedisUnavailable
from sqlalchemy.exc import TimeoutError as PoolExhausted
from werkzeug.exceptions import HTTPException

from buko.application.accounts.registration import EmailTaken
from buko.application.billing.ports import GatewayNotConfigured, GatewayUnavailable, WebhookRefused
from buko.application.notifications import InvalidLink
from buko.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidArchitecture,
    InvalidTransition,
    NotFound,
    QuotaExceeded,
    Unauthenticated,
)

log = logging.getLogger(__name__)
OVERLOAD_RETRY_SECONDS = 2

STATUS: list[tuple[type[Exception], int]] = [
    (NotFound, 404),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (QuotaExceeded, 402),
    (Conflict, 409),
    (EmailTaken, 409),
    (WebhookRefused, 401),
    (GatewayNotConfigured, 409),
    (GatewayUnavailable, 502),
    (InvalidLink, 400),
    (InvalidTransition, 409),
    (DomainError, 422),
]


class RateLimited(Exception):
    def __init__(self, retry_after: float, what: str):
        super().__init__(f"too many {what} requests; try again in {int(retry_after + 0.999)} s")
        self.retry_after = retry_after


def status_of(error: Exception) -> int:
    return next(status for kind, status in STATUS if isinstance(error, kind))


def error_body(code: str, message: str, details=None) -> dict:
    return {"error": {"code": code, "message": message, "details": details if details is not None else {}}}


def _respond(status: int, code: str, message: str, details=None, headers: dict | None = None):
    renderer = current_app.extensions.get("buko_error_page")
    if renderer is not None and _wants_page():
        return renderer(status, code, message, details), status, headers or {}
    return error_body(code, message, details), status, headers or {}


def _wants_page() -> bool:
    """Browsers navigating to a page get a page; the API and scripts always get JSON."""
    if request.path.startswith(("/api/", "/ws/", "/openapi", "/healthz", "/readyz", "/metrics")):
        return False
    accept = request.accept_mimetypes
    return accept.best_match(["application/json", "text/html"]) == "text/html"


def register_error_handlers(app: Quart) -> None:
    @app.errorhandler(DomainError)
    async def domain_error(error: DomainError):
        details = {}
        if isinstance(error, InvalidArchitecture):
            details = {"problems": error.problems}
        elif isinstance(error, Conflict):
            details = {"current": error.current}
        return _respond(status_of(error), error.code, str(error), details)

    @app.errorhandler(RequestSchemaValidationError)
    async def invalid_request(error: RequestSchemaValidationError):
        inner = error.validation_error
        if hasattr(inner, "errors"):
            problems = [
                {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type")}
                for e in inner.errors(include_url=False, include_input=False)
            ]
        else:
            problems = [{"field": "", "message": str(inner), "type": "invalid"}]
        return _respond(422, "invalid_request", "the request does not match the expected schema",
                        {"problems": problems})

    @app.errorhandler(RateLimited)
    async def rate_limited(error: RateLimited):
        wait = str(int(error.retry_after + 0.999))
        return _respond(429, "rate_limited", str(error), {"retry_after": int(wait)}, {"Retry-After": wait})

    @app.errorhandler(PoolExhausted)
    @app.errorhandler(RedisUnavailable)
    async def overloaded(error: Exception):
        """No database connection came free in DB_POOL_TIMEOUT, or Redis cannot be reached: the request
        did nothing. Say so with a retry hint (one log line, no traceback: under overload, formatting
        thousands of tracebacks is what would keep the process busy)."""
        log.warning("busy: %s %s answered 503 (%s: %s)", request.method, request.path, type(error).__name__,
                    str(error).splitlines()[0][:200] if str(error) else "")
        return _respond(503, "busy", "Buko is too busy to answer right now; try again in a few seconds",
                        {"retry_after": OVERLOAD_RETRY_SECONDS}, {"Retry-After": str(OVERLOAD_RETRY_SECONDS)})

    @app.errorhandler(UnicodeDecodeError)
    async def undecodable(error: UnicodeDecodeError):
        return _respond(400, "bad_request", "the request body is not valid UTF-8 text")

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException):
        code = (error.name or "error").lower().replace(" ", "_")
        headers = dict(error.get_headers()) if error.code == 405 else {}
        headers.pop("Content-Type", None)
        return _respond(error.code or 500, code, error.description or error.name or "error", None, headers)

    @app.errorhandler(Exception)
    async def unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(500, "internal_error", "something went wrong on our side; it has been logged")
