"""The author's books: dashboard, new book wizard, architecture editor, live writing view, reader."""
from __future__ import annotations

from types import SimpleNamespace

from markupsafe import Markup
from pydantic import ValidationError
from quart import Blueprint, Response, redirect, url_for

from buko.adapters.export.markup import markdown_to_xhtml
from buko.application.books import print_edition
from buko.application.books.covers import DesignCover
from buko.application.commands import CreateBook
from buko.domain.books.brief import FIELD_LIMITS, LANGUAGES, MAX_CHAPTERS, MAX_WORDS, MIN_WORDS, TRIM_SIZES, Brief
from buko.domain.books.cover import LAYOUTS, PALETTES, TYPOGRAPHY, Cover, InvalidCover
from buko.domain.errors import InvalidBrief, QuotaExceeded
from buko.entrypoints.http import schemas as s
from buko.entrypoints.http.auth import caller, rate_limited
from buko.entrypoints.http.pages.i18n import _, lazy
from buko.entrypoints.http.pages.messages import field_error
from buko.entrypoints.http.pages.web import container, form, login_required, render, use_cases

bp = Blueprint("books_pages", __name__)
WORDS_PER_PAGE = 250
GENRES = {
    "non-fiction": lazy("Non-fiction"), "novel": lazy("Novel"), "guide": lazy("Practical guide"),
    "memoir": lazy("Memoir"), "children": lazy("Children's book"), "essay": lazy("Essay"),
    "business": lazy("Business"), "science": lazy("Popular science"),
}
WIZARD_FIELDS = ("idea", "genre", "audience", "tone", "language", "length", "length_unit", "chapters",
                 "style_sample", "author", "trim_size")


def _where(status: str, book_id: str) -> str:
    """The page that fits a book's state."""
    if status in ("draft", "planning", "planned"):
        return url_for("books_pages.architecture", book_id=book_id)
    if status == "written":
        return url_for("books_pages.reader", book_id=book_id)
    return url_for("books_pages.live", book_id=book_id)


@bp.get("/books")
@login_required
async def dashboard():
    queries = use_cases().queries()
    who = caller().user
    books, total = await queries.summaries(owner_id=who.id, offset=0, limit=100)
    plan, started = await queries.plan_usage(who, container().core.clock().now())
    return render("dashboard.html", books=books, total=total, plan=plan, started=started,
                  left=max(plan.monthly_books - started, 0), where=_where)


def _wizard(values: dict, errors: dict, status: int = 200):
    return render("wizard.html", status=status, values=values, errors=errors, genres=GENRES, languages=LANGUAGES,
                  trim_sizes=TRIM_SIZES, words_per_page=WORDS_PER_PAGE, min_words=MIN_WORDS, max_words=MAX_WORDS,
                  max_chapters=MAX_CHAPTERS, limits=FIELD_LIMITS)


@bp.get("/books/new")
@login_required
async def new_book():
    who = caller().user
    return _wizard({"language": who.locale, "genre": "non-fiction", "length": "12000", "length_unit": "words",
                    "chapters": "6", "author": who.name, "trim_size": "A5",
                    "audience": _("general readers"), "tone": _("clear and engaging")}, {})


def _target_words(values: dict, errors: dict) -> int | None:
    raw = values.get("length", "").strip().replace(".", "").replace(",", "").replace(" ", "")
    if not raw.isdigit():
        errors["length"] = _("Enter the length as a whole number.")
        return None
    amount = int(raw)
    words = amount * WORDS_PER_PAGE if values.get("length_unit") == "pages" else amount
    if not MIN_WORDS <= words <= MAX_WORDS:
        errors["length"] = _("A book has between %(min)s and %(max)s words (%(pmin)s to %(pmax)s pages).",
                             min=MIN_WORDS, max=MAX_WORDS, pmin=MIN_WORDS // WORDS_PER_PAGE,
                             pmax=MAX_WORDS // WORDS_PER_PAGE)
        return None
    return words


@bp.post("/books/new")
@login_required
@rate_limited("work", "rate_limit_work")
async def create_book():
    values = {k: v for k, v in (await form()).items() if k in WIZARD_FIELDS}
    errors: dict[str, str] = {}
    words = _target_words(values, errors)
    brief_in = None
    try:
        brief_in = s.BriefIn(idea=values.get("idea", "").strip(), genre=values.get("genre", "").strip() or "non-fiction",
                             audience=values.get("audience", "").strip() or "general readers",
                             tone=values.get("tone", "").strip() or "clear and engaging",
                             language=values.get("language", "en"), target_words=words or 12_000,
                             chapters=values.get("chapters", "").strip() or "0",
                             style_sample=values.get("style_sample", ""), author=values.get("author", "").strip(),
                             trim_size=values.get("trim_size", "A5"))
    except ValidationError as invalid:
        for problem in invalid.errors(include_url=False):
            name = str(problem["loc"][0]) if problem["loc"] else "idea"
            errors.setdefault("length" if name == "target_words" else name,
                              field_error(problem["type"], problem.get("ctx")))
    if brief_in is not None and not errors:
        fields = brief_in.model_dump()
        fields["chapter_count"] = fields.pop("chapters")
        fields["author"] = fields["author"] or caller().user.name
        try:
            book_id = await use_cases().create_book()(CreateBook(caller().user.id, Brief(**fields)))
        except InvalidBrief as invalid:
            if "per chapter" in str(invalid):
                errors["chapters"] = _("Too many chapters for this length: each chapter needs at least 200 words.")
            else:
                errors["form"] = _("Some of the values are not valid.")
        except QuotaExceeded:
            errors["form"] = _("Your plan does not allow this book: no books left this month, or it is longer than your plan allows.")
        else:
            return redirect(url_for("books_pages.architecture", book_id=book_id), 303)
    return _wizard(values, errors, 422)


async def _book(book_id: str):
    return await use_cases().queries().owned_book(caller().user, book_id)


@bp.get("/books/<book_id>")
@login_required
async def book(book_id: str):
    found = await _book(book_id)
    return redirect(_where(found.status.value, book_id), 303)


@bp.get("/books/<book_id>/architecture")
@login_required
async def architecture(book_id: str):
    found = await _book(book_id)
    return render("architecture.html", book=found, min_section_words=50)


@bp.get("/books/<book_id>/write")
@login_required
async def live(book_id: str):
    found = await _book(book_id)
    return render("live.html", book=found)


@bp.get("/books/<book_id>/read")
@login_required
async def reader(book_id: str):
    found = await _book(book_id)
    language = found.architecture.language if found.architecture else found.brief.language
    chapters = []
    for chapter in (found.architecture.chapters if found.architecture else ()):
        # Model text is untrusted: raw HTML in it is escaped by the parser and the result sanitized.
        html = markdown_to_xhtml(found.chapter_text(chapter.number), language=language)
        chapters.append({"number": chapter.number, "title": chapter.title, "html": Markup(html),
                         "written": bool(found.chapter_text(chapter.number).strip())})
    return render("reader.html", book=found, chapters=chapters, language=language,
                  papers=print_edition.PAPERS, default_paper=print_edition.DEFAULT_PAPER, paper_names=PAPER_NAMES)


PAPER_NAMES = {"white": lazy("White"), "cream": lazy("Cream")}  # a name for each of print_edition.PAPERS


# -- cover editor -------------------------------------------------------------
def _cover_page(found, cover, suggestions, advisor, errors: dict, status: int = 200):
    return render("cover.html", status=status, book=found, cover=cover, suggestions=suggestions, advisor=advisor,
                  palettes=PALETTES, typographies=TYPOGRAPHY, layouts=LAYOUTS, errors=errors,
                  layout_names=LAYOUT_NAMES, typography_names=TYPOGRAPHY_NAMES)


LAYOUT_NAMES = {"rings": lazy("Rings"), "stripes": lazy("Stripes"), "frame": lazy("Frame")}
TYPOGRAPHY_NAMES = {"serif": lazy("Classic (serif)"), "sans": lazy("Modern (sans-serif)")}


@bp.get("/books/<book_id>/cover")
@login_required
async def cover(book_id: str):
    found = await _book(book_id)
    designs = use_cases().cover_designs()
    if found.architecture is None:
        return render("cover.html", book=found, cover=None, suggestions=[], advisor=None, errors={})
    return _cover_page(found, designs.of(found), await designs.suggestions(book_id), designs.advisor, {})


@bp.post("/books/<book_id>/cover")
@login_required
async def save_cover(book_id: str):
    found = await _book(book_id)
    values = await form()
    designs = use_cases().cover_designs()
    fields = {k: values.get(k, "").strip() for k in ("title", "subtitle", "author", "background", "ink", "accent",
                                                      "typography", "layout")}
    try:
        design = Cover(**fields)
    except InvalidCover as invalid:
        errors = {"form": _("The cover cannot be saved: check the title (1 to 200 characters, one line) and the colours.")}
        if "title" in str(invalid):
            errors["title"] = _("Write a title of 1 to 200 characters on one line.")
        draft = SimpleNamespace(**fields)
        return _cover_page(found, draft, await designs.suggestions(book_id), designs.advisor, errors, 422)
    await designs.save(DesignCover(book_id, design))
    return redirect(url_for("books_pages.cover", book_id=book_id) + "?notice=cover", 303)


@bp.get("/books/<book_id>/cover.png")
@login_required
async def cover_image(book_id: str):
    await _book(book_id)
    png = await use_cases().cover_designs().preview(book_id)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "private, no-cache"})
