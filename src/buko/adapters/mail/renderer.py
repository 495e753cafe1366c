"""Mail templates: Jinja, one folder per language (en, es), a subject, a text part and an HTML part
per kind of mail. HTML is autoescaped; the text part is not (it is plain text)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from buko.application.notifications import MailRenderer, RenderedMail

TEMPLATES = Path(__file__).parent / "templates"
MONTHS = {"es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
                 "noviembre", "diciembre"],
          "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"]}


def _date(value: datetime | None, locale: str) -> str:
    if value is None:
        return ""
    month = MONTHS.get(locale, MONTHS["en"])[value.month - 1]
    return f"{value.day} de {month} de {value.year}" if locale == "es" else f"{month} {value.day}, {value.year}"


class JinjaMailRenderer(MailRenderer):
    def __init__(self, folder: Path = TEMPLATES):
        self.env = Environment(loader=FileSystemLoader(str(folder)), undefined=StrictUndefined,
                               autoescape=select_autoescape(enabled_extensions=("html",), default=False),
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)

    def render(self, kind: str, locale: str, context: dict) -> RenderedMail:
        locale = locale if (TEMPLATES / locale).is_dir() else "en"
        self.env.filters["date"] = lambda value: _date(value, locale)
        values = {**context, "locale": locale}
        subject = self.env.get_template(f"{locale}/{kind}.subject.txt").render(values)
        return RenderedMail(
            subject=" ".join(subject.split()),
            text=self.env.get_template(f"{locale}/{kind}.txt").render(values),
            html=self.env.get_template(f"{locale}/{kind}.html").render(values),
        )
