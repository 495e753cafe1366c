"""What every page shares: the template environment, the caller, CSRF, redirects to the login page."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from quart import Response, current_app, g, redirect, request, url_for

from buko.entrypoints.http.assets import script_json
from buko.entrypoints.http.pages import i18n
from buko.entrypoints.http.pages.i18n import _, lazy

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

STATUS_NAMES = {
    "draft": lazy("Draft"),
    "planning": lazy("Planning"),
    "planned": lazy("Ready for review"),
    "approved": lazy("Approved"),
    "writing": lazy("Writing"),
    "written": lazy("Written"),
    "cancelled": lazy("Cancelled"),
    "failed": lazy("Stopped"),
}
NOTICES = {
    "saved": lazy("Saved."),
    "welcome": lazy("Welcome to Buko! Start your first book below."),
    "logged_out": lazy("You have logged out."),
    "password": lazy("Your password was changed. Other sessions have been logged out."),
    "revoked": lazy("The token was revoked; it no longer works."),
    "language": lazy("Language changed."),
    "cover": lazy("The cover was saved: every export will use it."),
    "retried": lazy("The book was sent back to work."),
    "suspended": lazy("The account was suspended."),
    "restored": lazy("The account was restored."),
    "plan": lazy("The plan was changed."),
    "task_retried": lazy("The task was sent back to its queue."),
    "circuit_reset": lazy("The circuit was closed: the next model call goes through."),
    "subscription_cancelled": lazy("Your subscription was cancelled: nothing more will be charged."),
}


def _asset(name: str) -> str:
    """The /static URL of `name` with its content's version (see entrypoints/http/assets.py)."""
    return current_app.extensions["buko_assets"].url(name)


def _import_map() -> Markup:
    """The import map that versions the scripts' imports of each other; allowed by its hash in the CSP."""
    return Markup(current_app.extensions["buko_assets"].import_map)


def _data(value) -> Markup:
    """JSON for a `<script type="application/json">` block: never executed, and `<`, `>`, `&` escaped."""
    return Markup(script_json(value, ensure_ascii=False))


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(url_for=url_for, asset=_asset, import_map=_import_map, locales=i18n.LOCALES,
                       locale_names=i18n.NAMES, status_names=STATUS_NAMES)
    env.filters.update(number=i18n.number, money=i18n.money, amount=i18n.amount, percent=i18n.percent, date=i18n.date,
                       datetime=i18n.datetime_, duration=i18n.duration, language_name=i18n.language_name,
                       data=_data, status_name=lambda s: i18n.gettext(STATUS_NAMES.get(s, s)))
    return env


ENV = _environment()


def user():
    who = g.get("caller")
    return who.user if who is not None else None


def csrf_token() -> str:
    who = g.get("caller")
    return who.session.csrf_token if who is not None and who.session is not None else ""


def context(**extra) -> dict:
    notice = request.args.get("notice", "")
    return dict(user=user(), csrf_token=csrf_token(), lang=i18n.current(), request=request,
                notice=_(NOTICES[notice]) if notice in NOTICES else "", **extra)


def render_string(template: str, **values) -> str:
    return ENV.get_template(template).render(context(**values))


def render(template: str, status: int = 200, **values) -> Response:
    response = Response(render_string(template, **values), status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def container():
    return current_app.extensions["buko_container"]


def use_cases():
    return container().use_cases


def safe_next(target: str | None, default: str = "/books") -> str:
    """Only a path on this site (never //host or a scheme) may be a redirect target."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return default
    return target


def to(endpoint: str, notice: str = "", **values) -> Response:
    url = url_for(endpoint, **values)
    return redirect(f"{url}?{urlencode({'notice': notice})}" if notice else url, 303)


def login_required(view: Callable) -> Callable:
    """Pages are public by default (only /api requires credentials): these send visitors to log in."""

    @wraps(view)
    async def wrapper(*args, **kwargs):
        if g.get("caller") is None:
            return redirect(f"{url_for('pages.login')}?{urlencode({'next': request.full_path.rstrip('?')})}", 303)
        return await view(*args, **kwargs)

    return wrapper


def admin_required(view: Callable) -> Callable:
    @wraps(view)
    async def wrapper(*args, **kwargs):
        from buko.entrypoints.http.auth import require_admin

        require_admin()
        return await view(*args, **kwargs)

    return login_required(wrapper)


async def form() -> dict[str, str]:
    data = await request.form
    return {key: data.get(key, "") for key in data}
