"""Accounts: register, log in and out, who am I, password, profile, API tokens."""
from __future__ import annotations

from dependency_injector.wiring import Provide, inject
from quart import Blueprint, after_this_request, current_app, request
from quart_schema import validate_request, validate_response

from buko.application.accounts.auth import AccountService
from buko.application.accounts.registration import RegisterUserHandler
from buko.application.accounts.tokens import ApiTokens
from buko.application.commands import ChangePassword, CreateApiToken, LogIn, RegisterUser, RevokeApiToken, \
    UpdateProfile
from buko.application.ports import Clock
from buko.application.queries import Queries
from buko.bootstrap import Container
from buko.domain.accounts.credentials import SESSION_LIFETIME
from buko.entrypoints.http import present
from buko.entrypoints.http import schemas as s
from buko.entrypoints.http.auth import SESSION_COOKIE, caller, client_ip, limit, public, rate_limited

bp = Blueprint("accounts", __name__, url_prefix="/api")


def _with_session(logged_in) -> s.SessionOut:
    """The session's body; its secret goes only into an HttpOnly cookie."""
    settings = current_app.extensions["buko_container"].settings()

    @after_this_request
    async def set_cookie(response):
        response.set_cookie(SESSION_COOKIE, logged_in.session_secret, httponly=True, samesite="Lax",
                            secure=settings.secure_cookies, max_age=int(SESSION_LIFETIME.total_seconds()), path="/")
        return response

    return s.SessionOut(user=present.user(logged_in.user), csrf_token=logged_in.csrf_token)


@bp.post("/auth/register")
@public
@rate_limited("register", "rate_limit_register", by_user=False)
@validate_request(s.RegisterIn)
@validate_response(s.SessionOut, 201)
@inject
async def register(
    data: s.RegisterIn,
    register_user: RegisterUserHandler = Provide[Container.use_cases.register_user],
    accounts: AccountService = Provide[Container.use_cases.accounts],
):
    """Create an account and log in."""
    await register_user(RegisterUser(data.email, data.name, "author", data.password, data.locale))
    logged_in = await accounts.log_in(LogIn(data.email, data.password))
    return _with_session(logged_in), 201


@bp.post("/auth/login")
@public
@validate_request(s.LoginIn)
@validate_response(s.SessionOut)
@inject
async def login(data: s.LoginIn, accounts: AccountService = Provide[Container.use_cases.accounts]):
    """Log in: sets the session cookie and returns the CSRF token for changes made with it."""
    settings = current_app.extensions["buko_container"].settings()
    await limit("login", settings.rate_limit_login, f"ip:{client_ip()}", f"email:{data.email.strip().lower()}")
    logged_in = await accounts.log_in(LogIn(data.email, data.password))
    return _with_session(logged_in)


@bp.post("/auth/logout")
@validate_response(s.AcceptedOut)
@inject
async def logout(accounts: AccountService = Provide[Container.use_cases.accounts]):
    """Log out: this browser session ends (API tokens are revoked separately)."""
    if caller().via_session:
        await accounts.log_out(request.cookies.get(SESSION_COOKIE, ""))

    @after_this_request
    async def forget_cookie(response):
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return s.AcceptedOut(status="logged_out")


@bp.get("/auth/me")
@validate_response(s.MeOut)
@inject
async def me(queries: Queries = Provide[Container.use_cases.queries], clock: Clock = Provide[Container.core.clock]):
    """The caller's account, plan usage and (for a browser session) its CSRF token."""
    who = caller()
    plan, started = await queries.plan_usage(who.user, clock.now())
    return s.MeOut(user=present.user(who.user), csrf_token=who.session.csrf_token if who.session else None,
                   plan=present.plan_usage(plan, started))


@bp.patch("/auth/me")
@validate_request(s.ProfileIn)
@validate_response(s.UserOut)
@inject
async def update_profile(data: s.ProfileIn, accounts: AccountService = Provide[Container.use_cases.accounts]):
    """Change the display name or the interface language."""
    return present.user(await accounts.update_profile(UpdateProfile(caller().user.id, data.name, data.locale)))


@bp.post("/auth/password")
@validate_request(s.ChangePasswordIn)
@validate_response(s.SessionOut)
@inject
async def change_password(data: s.ChangePasswordIn, accounts: AccountService = Provide[Container.use_cases.accounts]):
    """Change the password: every session of the account ends; this browser gets a new one."""
    settings = current_app.extensions["buko_container"].settings()
    await limit("password", settings.rate_limit_login, f"user:{caller().user.id}")
    logged_in = await accounts.change_password(ChangePassword(caller().user.id, data.current_password,
                                                              data.new_password))
    return _with_session(logged_in)


@bp.get("/tokens")
@validate_response(s.TokenListOut)
@inject
async def list_tokens(tokens: ApiTokens = Provide[Container.use_cases.api_tokens]):
    """My API tokens (never their secrets)."""
    return s.TokenListOut(tokens=[present.token(t) for t in await tokens.list(caller().user.id)])


@bp.post("/tokens")
@validate_request(s.TokenIn)
@validate_response(s.NewTokenOut, 201)
@inject
async def create_token(data: s.TokenIn, tokens: ApiTokens = Provide[Container.use_cases.api_tokens]):
    """Create an API token for scripts: `Authorization: Bearer <token>`. The secret is shown once."""
    made, secret = await tokens.create(CreateApiToken(caller().user.id, data.name))
    return s.NewTokenOut(**present.token(made).model_dump(), token=secret), 201


@bp.delete("/tokens/<token_id>")
@validate_response(s.AcceptedOut)
@inject
async def revoke_token(token_id: str, tokens: ApiTokens = Provide[Container.use_cases.api_tokens]):
    """Revoke one of my API tokens; it stops working at once."""
    await tokens.revoke(RevokeApiToken(caller().user.id, token_id))
    return s.AcceptedOut(status="revoked")

