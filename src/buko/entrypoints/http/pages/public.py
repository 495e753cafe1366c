"""Pages anyone can open: landing, register, log in and out, the language switch."""
from __future__ import annotations

from quart import Blueprint, current_app, g, redirect, request, url_for

from buko.application.accounts.registration import EmailTaken
from buko.application.commands import LogIn, RegisterUser, UpdateProfile
from buko.domain.accounts.user import InvalidUser, WeakPassword
from buko.domain.errors import Forbidden, Unauthenticated
from buko.entrypoints.http.auth import SESSION_COOKIE, client_ip, limit
from buko.entrypoints.http.pages import i18n
from buko.entrypoints.http.pages.i18n import _
from buko.entrypoints.http.pages.messages import password_problem, user_problem
from buko.entrypoints.http.pages.web import container, form, render, safe_next, to, use_cases, user

bp = Blueprint("pages", __name__)
SESSION_DAYS = 14


def _logged_in_response(target: str, logged_in):
    response = redirect(target, 303)
    response.set_cookie(SESSION_COOKIE, logged_in.session_secret, httponly=True, samesite="Lax",
                        secure=container().settings().secure_cookies, max_age=SESSION_DAYS * 24 * 3600, path="/")
    response.delete_cookie(i18n.LANG_COOKIE, path="/")
    return response


@bp.get("/")
async def landing():
    """What Buko does, a sample book's pages, and the way in."""
    return render("landing.html")


@bp.get("/register")
async def register():
    if user() is not None:
        return redirect(url_for("books_pages.dashboard"), 303)
    return render("register.html", values={"locale": i18n.current()}, errors={})


@bp.post("/register")
async def register_post():
    values = await form()
    errors: dict[str, str] = {}
    name, email, password = values.get("name", "").strip(), values.get("email", "").strip(), values.get("password", "")
    locale = values.get("locale") if values.get("locale") in i18n.LOCALES else i18n.current()
    if not name:
        errors["name"] = _("Enter your name.")
    if not email:
        errors["email"] = _("Enter your email address.")
    if not password:
        errors["password"] = _("Choose a password.")
    if not errors:
        settings = container().settings()
        await limit("register", settings.rate_limit_register, f"ip:{client_ip()}")
        try:
            await use_cases().register_user()(RegisterUser(email, name, "author", password, locale))
        except InvalidUser as invalid:
            field, message = user_problem(str(invalid))
            errors[field] = message
        except WeakPassword as weak:
            errors["password"] = password_problem(str(weak))
        except EmailTaken:
            errors["email"] = _("This email already has an account. Log in instead.")
    if errors:
        values.pop("password", None)
        return render("register.html", status=422, values=values, errors=errors)
    logged_in = await use_cases().accounts().log_in(LogIn(email, password))
    return _logged_in_response(f"{url_for('books_pages.dashboard')}?notice=welcome", logged_in)


@bp.get("/login")
async def login():
    if user() is not None:
        return redirect(safe_next(request.args.get("next")), 303)
    return render("login.html", values={"next": safe_next(request.args.get("next"))}, errors={})


@bp.post("/login")
async def login_post():
    values = await form()
    email, password = values.get("email", "").strip(), values.get("password", "")
    target = safe_next(values.get("next"))
    errors: dict[str, str] = {}
    if not email or not password:
        errors["form"] = _("Enter your email address and your password.")
    else:
        settings = container().settings()
        await limit("login", settings.rate_limit_login, f"ip:{client_ip()}", f"email:{email.lower()}")
        try:
            logged_in = await use_cases().accounts().log_in(LogIn(email, password))
        except Unauthenticated:
            errors["form"] = _("The email or the password is not correct.")
        except Forbidden:
            errors["form"] = _("This account is suspended. Write to support to have it restored.")
    if errors:
        return render("login.html", status=422, values={"email": email, "next": target}, errors=errors)
    return _logged_in_response(target, logged_in)


@bp.post("/logout")
async def logout():
    who = g.get("caller")
    if who is not None and who.via_session:
        await use_cases().accounts().log_out(request.cookies.get(SESSION_COOKIE, ""))
    response = to("pages.landing", "logged_out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@bp.post("/language")
async def language():
    """The ES/EN switch: kept on the account when logged in, in a cookie for a visitor."""
    values = await form()
    chosen = values.get("locale", "")
    target = safe_next(values.get("next"), "/")
    if chosen not in i18n.LOCALES:
        return redirect(target, 303)
    who = g.get("caller")
    if who is not None:
        await use_cases().accounts().update_profile(UpdateProfile(who.user.id, None, chosen))
    response = redirect(target, 303)
    response.set_cookie(i18n.LANG_COOKIE, chosen, samesite="Lax", max_age=365 * 24 * 3600, path="/",
                        secure=current_app.extensions["buko_container"].settings().secure_cookies)
    return response
