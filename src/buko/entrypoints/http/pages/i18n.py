"""The interface language: Babel catalogs (es, en), the locale of this request, and locale-aware
dates, numbers and money.

The locale is the account's (logged in), else the `buko_lang` cookie (the switch of a visitor),
else the browser's Accept-Language, else English.
"""
from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations
from quart import g, request

CATALOGS = Path(__file__).resolve().parent.parent / "i18n"
LOCALES = ("en", "es")
DEFAULT = "en"
LANG_COOKIE = "buko_lang"
NAMES = {"en": "English", "es": "Español"}


@cache
def translations(locale: str) -> NullTranslations:
    return Translations.load(str(CATALOGS), [locale], domain="messages")


def choose_locale() -> str:
    """The locale of the current request (see the module docstring)."""
    who = g.get("caller")
    if who is not None and who.user.locale in LOCALES:
        return who.user.locale
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or DEFAULT


def current() -> str:
    try:
        locale = g.get("buko_locale")
    except RuntimeError:  # outside a request: the default language
        return DEFAULT
    if locale is None:
        locale = g.buko_locale = choose_locale()
    return locale


def use(locale: str) -> None:
    """Switch this request's language (after a change of the account's language)."""
    g.buko_locale = locale if locale in LOCALES else DEFAULT


def gettext(message: str, **variables) -> str:
    text = translations(current()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables) -> str:
    text = translations(current()).ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


_ = gettext


def lazy(message: str) -> str:
    """Mark a string for extraction where it is defined; it is translated where it is shown."""
    return message


# -- formatting ---------------------------------------------------------------
def number(value: float | int) -> str:
    return format_decimal(value, locale=current())


def money(value: float) -> str:
    return format_currency(value, "USD", locale=current(), format_type="standard")


def amount(minor: int, currency: str) -> str:
    """A price or a payment kept in minor units (cents), in its own currency: "$19.00", "19,00 €"."""
    return format_currency(minor / 100, currency, locale=current())


def percent(value: float) -> str:
    return format_percent(value, locale=current())


def date(value: datetime | None) -> str:
    return format_date(value, "medium", locale=current()) if value else ""


def datetime_(value: datetime | None) -> str:
    return format_datetime(value, "medium", locale=current()) if value else ""


def duration(seconds: float) -> str:
    return format_timedelta(seconds, locale=current(), threshold=1.1)


def language_name(code: str) -> str:
    """A book language's name in the interface language ("inglés", "English")."""
    try:
        return Locale.parse(code).get_display_name(current()) or code
    except (ValueError, LookupError):
        return code
