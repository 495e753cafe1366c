"""The author's account: profile, language, password, API tokens, subscription summary."""
from __future__ import annotations

from quart import Blueprint, request

from buko.application.commands import ChangePassword, CreateApiToken, RevokeApiToken, UpdateProfile
from buko.domain.accounts.user import InvalidUser, WeakPassword
from buko.domain.errors import Forbidden
from buko.entrypoints.http.auth import SESSION_COOKIE, caller, limit
from buko.entrypoints.http.pages import i18n
from buko.entrypoints.http.pages.i18n import _
from buko.entrypoints.http.pages.messages import password_problem
from buko.entrypoints.http.pages.public import SESSION_DAYS
from buko.entrypoints.http.pages.web import container, form, login_required, render, to, use_cases

bp = Blueprint("account_pages", __name__)


async def _page(status: int = 200, errors: dict | None = None, new_token: tuple | None = None, values: dict | None = None):
    who = caller().user
    queries = use_cases().queries()
    plan, started = await queries.plan_usage(who, container().core.clock().now())
    tokens = [t for t in await use_cases().api_tokens().list(who.id) if t.revoked_at is None]
    return render("account.html", status=status, errors=errors or {}, values=values or {"name": who.name},
                  tokens=tokens, new_token=new_token, plan=plan, started=started,
                  left=max(plan.monthly_books - started, 0))


@bp.get("/account")
@login_required
async def account():
    return await _page()


@bp.post("/account/profile")
@login_required
async def profile():
    values = await form()
    locale = values.get("locale") if values.get("locale") in i18n.LOCALES else None
    try:
        await use_cases().accounts().update_profile(UpdateProfile(caller().user.id, values.get("name", "").strip(), locale))
    except InvalidUser:
        return await _page(422, {"name": _("Enter your name on one line (1 to 120 characters).")}, values=values)
    if locale:
        i18n.use(locale)
    return to("account_pages.account", "saved")


@bp.post("/account/password")
@login_required
async def password():
    values = await form()
    settings = container().settings()
    await limit("password", settings.rate_limit_login, f"user:{caller().user.id}")
    errors = {}
    if values.get("new_password", "") != values.get("confirm_password", ""):
        errors["confirm_password"] = _("The two new passwords are not the same.")
    else:
        try:
            logged_in = await use_cases().accounts().change_password(
                ChangePassword(caller().user.id, values.get("current_password", ""), values.get("new_password", "")))
        except Forbidden:
            errors["current_password"] = _("The current password is not correct.")
        except WeakPassword as weak:
            errors["new_password"] = password_problem(str(weak))
    if errors:
        return await _page(422, errors)
    response = to("account_pages.account", "password")
    response.set_cookie(SESSION_COOKIE, logged_in.session_secret, httponly=True, samesite="Lax",
                        secure=settings.secure_cookies, max_age=SESSION_DAYS * 24 * 3600, path="/")
    return response


@bp.post("/account/tokens")
@login_required
async def create_token():
    name = (await form()).get("token_name", "").strip()
    if not name or len(name) > 80:
        return await _page(422, {"token_name": _("Name the token (1 to 80 characters), e.g. “my script”.")})
    made, secret = await use_cases().api_tokens().create(CreateApiToken(caller().user.id, name))
    return await _page(201, new_token=(made, secret))


@bp.post("/account/tokens/<token_id>/revoke")
@login_required
async def revoke_token(token_id: str):
    await use_cases().api_tokens().revoke(RevokeApiToken(caller().user.id, token_id))
    return to("account_pages.account", "revoked")


__all__ = ["bp", "request"]
