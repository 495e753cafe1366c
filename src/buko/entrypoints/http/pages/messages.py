"""Domain refusals as the author reads them, in the interface language and next to the right field."""
from __future__ import annotations

from buko.entrypoints.http.pages.i18n import _

_PASSWORD = {
    "characters": lambda: _("Use 10 to 256 characters."),
    "spaces": lambda: _("The password must not start or end with spaces."),
    "email": lambda: _("The password must not be your email address."),
    "repetitive": lambda: _("This password is too repetitive; mix more different characters."),
}


def password_problem(message: str) -> str:
    return next((text() for key, text in _PASSWORD.items() if key in message), _("Choose a stronger password."))


def user_problem(message: str) -> tuple[str, str]:
    """(field, message) for an InvalidUser refusal."""
    if "email" in message:
        return "email", _("Enter a valid email address, like ana@example.com.")
    if "locale" in message:
        return "locale", _("Choose English or Spanish.")
    return "name", _("Enter your name on one line (1 to 120 characters).")


FIELD_ERRORS = {
    "string_too_short": lambda limit: _("Write at least %(n)s characters.", n=limit),
    "string_too_long": lambda limit: _("Write at most %(n)s characters.", n=limit),
    "greater_than_equal": lambda limit: _("Enter %(n)s or more.", n=limit),
    "less_than_equal": lambda limit: _("Enter %(n)s or less.", n=limit),
    "int_parsing": lambda limit: _("Enter a whole number."),
    "literal_error": lambda limit: _("Choose one of the options."),
    "missing": lambda limit: _("This field is required."),
}


def field_error(kind: str, ctx: dict | None) -> str:
    ctx = ctx or {}
    limit = ctx.get("min_length", ctx.get("max_length", ctx.get("ge", ctx.get("le", ""))))
    maker = FIELD_ERRORS.get(kind)
    return maker(limit) if maker else _("Check this value.")
