"""Who is calling: a session cookie (browsers, with CSRF protection) or a bearer API token.

Every route under /api is authenticated unless it is marked `@public`; the books blueprint checks
that the book in the URL belongs to the caller (or the caller is an admin); the admin blueprint
requires the admin role.
"""
from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps

from quart import current_app, g, request

from buko.application.accounts.auth import Caller
from buko.domain.errors import Forbidden, Unauthenticated
from buko.entrypoints.http.errors import RateLimited

SESSION_COOKIE = "buko_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def public(view: Callable) -> Callable:
    """The route needs no credentials (register, login, health, docs)."""
    view.buko_public = True
    return view


def _container():
    return current_app.extensions["buko_container"]


async def identify(headers, cookies) -> Caller | None:
    """The caller of a request or websocket, or None without credentials. Bad ones raise."""
    accounts = _container().use_cases.accounts()
    authorization = headers.get("Authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("use `Authorization: Bearer <API token>`")
        return await accounts.by_token(token.strip())
    secret = cookies.get(SESSION_COOKIE)
    if secret:
        return await accounts.by_session(secret)
    return None


async def authenticate_request() -> None:
    """App-wide before_request: resolve the caller, require one unless the route is public,
    and check the CSRF token of cookie-authenticated changes."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    is_public = getattr(view, "buko_public", False) or not request.path.startswith("/api/")
    try:
        g.caller = await identify(request.headers, request.cookies)
    except Unauthenticated:
        if not is_public:
            raise
        g.caller = None
    if g.caller is None:
        if not is_public:
            raise Unauthenticated("log in, or send an API token as `Authorization: Bearer …`")
        return
    if g.caller.via_session and request.method not in SAFE_METHODS:
        form = await request.form if request.mimetype in ("application/x-www-form-urlencoded",
                                                          "multipart/form-data") else {}
        sent = request.headers.get(CSRF_HEADER) or form.get("csrf_token", "")
        if not sent or not hmac.compare_digest(sent, g.caller.session.csrf_token):
            raise Forbidden(f"missing or wrong CSRF token: send the {CSRF_HEADER} header you got at login")


def caller() -> Caller:
    found = g.get("caller")
    if found is None:
        raise Unauthenticated("log in first")
    return found


def require_admin() -> None:
    if not caller().user.is_admin:
        raise Forbidden("only administrators may do this")


def client_ip() -> str:
    return request.remote_addr or "unknown"


async def limit(what: str, rule: str, *keys: str) -> None:
    """Count a hit for each key (ip:…, user:…); the first one over its limit answers 429."""
    limiter = _container().gateways.rate_limiter()
    for key in keys:
        wait = await limiter.hit(rule, f"{what}:{key}")
        if wait is not None:
            raise RateLimited(wait, what)


def rate_limited(what: str, setting: str, by_user: bool = True) -> Callable:
    """Limit a route per client IP and (when logged in) per account, by a rule from the settings."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        async def wrapper(*args, **kwargs):
            rule = getattr(_container().settings(), setting)
            keys = [f"ip:{client_ip()}"]
            if by_user and g.get("caller") is not None:
                keys.append(f"user:{g.caller.user.id}")
            await limit(what, rule, *keys)
            return await view(*args, **kwargs)

        return wrapper

    return decorate
