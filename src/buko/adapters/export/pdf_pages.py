"""A look at the laid-out pages before WeasyPrint draws their running heads and folios.

WeasyPrint lays out all the content of a document first, then makes the margin boxes (running heads, folios)
page by page. Small wrappers of WeasyPrint functions, active only while a `LayoutJob` is set for the current
thread:

- while a paragraph is set, a line that follows MAX_RUN hyphenated lines is set without automatic hyphenation
  (`iter_line_boxes` counts, `split_first_line` obeys), so runs are kept short at no extra cost;
- when a page breaks inside a paragraph and the page's last line ends in a split word, that line is set again
  without hyphenation (`_break_line`), so words are rarely split across a page turn;

and, when the content is laid out, before the margin boxes:

- check the hyphenation limits on the laid-out lines (`hyphenation.offending_words`); a violation aborts the
  layout with `Relayout`, so the caller protects those words and lays the document out again;
- hand the page count and the page each chapter starts on to the caller (`on_laid_out`), which answers with
  the number of pages that come before this document in the book: the folios are drawn from there. This is
  how chapters laid out in separate processes get the folios of the whole book (pdf_parallel.py).

Also here, active in every process that imports this module, three shortcuts through work WeasyPrint does
for every page, line or box and a book never needs (each with a switch; the tests compare the PDFs with and
without, byte for byte): pages with the same @page declarations share their styles (`_page_styles`), a line
in a document without floats does not look for floats to avoid (`_line_beside_no_float`), a box whose style
draws nothing behind it gets no background without each property being looked at (`_backgrounds`).
"""
from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache

from weasyprint import CSS, HTML
from weasyprint import layout as wp_layout
from weasyprint.draw.color import get_color
from weasyprint.formatting_structure import boxes
from weasyprint.layout import background as wp_background
from weasyprint.layout import block as wp_block
from weasyprint.layout import inline as wp_inline
from weasyprint.layout import page as wp_page
from weasyprint.layout.percent import resolve_radii_percentages
from weasyprint.urls import URLFetcher

# pdf_glyphs, pdf_text, pdf_write: WeasyPrint changes (their docs), active once imported
from buko.adapters.export import hyphenation, pdf_glyphs, pdf_text, pdf_write  # noqa: F401

MAX_PASSES = 3  # one layout, then at most two more with the offending words kept whole


class Relayout(Exception):
    """The laid-out lines break a hyphenation limit: these words must stay whole."""

    def __init__(self, words: set[hyphenation.Split]):
        super().__init__(", ".join(sorted(w.word for w in words)))
        self.words = words


@dataclass
class LayoutJob:
    check_hyphens: bool = True
    on_laid_out: Callable[[int, dict[str, int]], int] | None = None
    offset: int = 0
    pages: int = 0
    stats: dict = field(default_factory=dict)
    page_turns_reset: int = 0  # lines set again so that no word is split across a page turn

    def laid_out(self, pages: list, root=None) -> None:
        lines = hyphenation.line_ends(pages, root)
        self.stats = {**hyphenation.line_stats(lines), "page_turns_reset": self.page_turns_reset}
        if self.check_hyphens:
            words = hyphenation.offending_words(lines)
            if words:
                raise Relayout(words)
        self.pages = len(pages)
        if self.on_laid_out is not None:
            self.offset = self.on_laid_out(len(pages), _chapter_pages(pages))


def _chapter_pages(pages: list) -> dict[str, int]:
    """The page (1-based, in this document) each chapter section (id "chapter-N") starts on."""
    found: dict[str, int] = {}
    for number, page in enumerate(pages, start=1):
        for box in page.children[0].descendants():
            element = getattr(box, "element", None)
            anchor = element.get("id", "") if element is not None and box.element_tag == "section" else ""
            if anchor.startswith("chapter-") and anchor not in found:
                found[anchor] = number
    return found


_JOB: ContextVar[LayoutJob | None] = ContextVar("buko_layout_job", default=None)
_make_all_pages = wp_layout.make_all_pages
_make_margin_boxes = wp_layout.make_margin_boxes


def _all_pages(context, root_box, html, pages):
    made = []
    for page in _make_all_pages(context, root_box, html, pages):
        made.append(page)
        yield page
    context._buko_pages = made  # the last pass is the final layout
    context._buko_root = html.etree_element


def _margin_boxes(context, page, state):
    job = _JOB.get()
    if job is not None:
        if not getattr(context, "_buko_checked", False):
            context._buko_checked = True
            job.laid_out(context._buko_pages, context._buko_root)
        if job.offset:
            quote_depth, counter_values, counter_scopes, page_groups = state
            counter_values = dict(counter_values)
            counter_values["page"] = [counter_values["page"][-1] + job.offset]
            state = (quote_depth, counter_values, counter_scopes, page_groups)
    return _make_margin_boxes(context, page, state)


def _ends_split(box) -> bool | None:
    """Whether the last text of a line ends in a hyphen WeasyPrint added (None: no text in `box`)."""
    if isinstance(box, boxes.TextBox):
        text = box.text.rstrip()
        return text.endswith(hyphenation.AUTO_HYPHEN) if text else None
    for child in reversed(getattr(box, "children", ())):
        found = _ends_split(child)
        if found is not None:
            return found
    return None


_avoid_collisions = wp_inline.avoid_collisions
LINES_WITHOUT_FLOATS = True  # False: WeasyPrint looks for floats beside every line (tests compare both)


def _line_beside_no_float(context, box, containing_block, outer=True):
    """WeasyPrint's `avoid_collisions` for a line box in a document without floats (a book's running text):
    the same position and width, without looking for floats to avoid (WeasyPrint does, 2-3 times a line)."""
    if (not LINES_WITHOUT_FLOATS or context.excluded_shapes or type(box) is not boxes.LineBox
            or box.style["float"] != "none" or containing_block.style["direction"] != "ltr"):
        return _avoid_collisions(context, box, containing_block, outer)
    position_y = box.position_y if outer else box.border_box_y()
    left = containing_block.content_box_x()
    right = left + containing_block.width
    if not outer:
        left += box.margin_left
        right -= box.margin_right
    position_x, width = left, right - left
    if not outer:
        position_x -= box.margin_left
        position_y -= box.margin_top
    return position_x, position_y, width


_set_page_styles = wp_page.set_page_type_computed_styles
SHARE_PAGE_STYLES = True  # False: every page's styles computed again (tests compare both)


def _page_styles(page_type, html, style_for):
    """The styles of a page and of its margin boxes, shared by the pages whose @page declarations are the
    same ones. WeasyPrint computes new ones for every page (its page type carries the page's index): every
    page's 16 margin boxes then compute each property they read again, most of them for boxes with no content.
    Styles depend on the declarations (and on the root element's style, the same for every page): the same
    declared values (the very objects parsed from the same rules) give the same styles."""
    if not SHARE_PAGE_STYLES:
        return _set_page_styles(page_type, html, style_for)
    style_for.add_page_declarations(page_type)
    cascaded = style_for.get_cascaded_styles()
    pseudos = style_for.__dict__.get("_buko_page_pseudos")
    if pseudos is None:
        pseudos = style_for._buko_page_pseudos = sorted(
            {selector[1] for sheet, _, _ in style_for._sheets for _, selectors, _ in sheet.page_rules
             for selector in selectors} | {None}, key=lambda pseudo: pseudo or "")
    signature = tuple(
        (pseudo, tuple((name, id(values)) for name, (values, _) in sorted(declarations.items())))
        for pseudo in pseudos if (declarations := cascaded.get((page_type, pseudo))) is not None)
    shared = style_for.__dict__.setdefault("_buko_page_styles", {})
    found = shared.get(signature)
    computed = style_for.get_computed_styles()
    if found is None:
        _set_page_styles(page_type, html, style_for)
        shared[signature] = {pseudo: computed[page_type, pseudo] for pseudo in pseudos
                             if (page_type, pseudo) in computed}
    else:
        for pseudo, style in found.items():
            computed[page_type, pseudo] = style


_box_backgrounds = wp_background.layout_box_backgrounds
NO_BACKGROUND_SHORTCUT = True  # False: WeasyPrint looks at every box's background properties (tests compare)


def _backgrounds(page, box, get_image_from_uri, layout_children=True, style=None):
    """WeasyPrint's `layout_box_backgrounds`, with a shortcut for a box whose style draws nothing behind it (no
    background colour or image, shadow, border or mask image: nearly every box of a book): its background is
    None, as WeasyPrint would find after looking at each of those properties for every box."""
    if not NO_BACKGROUND_SHORTCUT or style is not None or box is page or not _draws_nothing_behind(box.style):
        return _box_backgrounds(page, box, get_image_from_uri, layout_children, style)
    resolve_radii_percentages(box)
    if layout_children:
        for child in box.all_children():
            wp_background.layout_box_backgrounds(page, child, get_image_from_uri)
    box.background = None
    return None


def _draws_nothing_behind(style) -> bool:
    memo = getattr(style, "__dict__", None)
    found = memo.get("_buko_nothing_behind") if memo is not None else None
    if found is None:
        found = (style["border_image_source"][0] == "none" and style["mask_border_source"][0] == "none"
                 and not style["box_shadow"]
                 and all(kind != "url" and not value for kind, value in style["background_image"])
                 and (style["visibility"] == "hidden" or get_color(style, "background_color").alpha == 0))
        if memo is not None:
            memo["_buko_nothing_behind"] = found
    return found


_iter_line_boxes = wp_block.iter_line_boxes
_split_first_line = wp_inline.split_first_line


def _line_boxes(context, *args, **kwargs):
    """The lines of a block, the next one set without automatic hyphenation after MAX_RUN split ones."""
    lines = _iter_line_boxes(context, *args, **kwargs)
    if _JOB.get() is None:
        yield from lines
        return
    run = 0
    while True:
        outer = getattr(context, "_buko_no_hyphens", False)
        context._buko_no_hyphens = run >= hyphenation.MAX_RUN
        try:
            line, resume_at = next(lines)
        except StopIteration:
            return
        finally:
            context._buko_no_hyphens = outer
        run = run + 1 if _ends_split(line) else 0
        yield line, resume_at


def _first_line(text, style, context, *args, **kwargs):
    if getattr(context, "_buko_no_hyphens", False) and style["hyphens"] == "auto":
        cache = context.__dict__.setdefault("_buko_manual_styles", {})
        found = cache.get(id(style))
        if found is None or found[0] is not style:
            manual = style.copy()
            manual["hyphens"] = "manual"
            found = cache[id(style)] = (style, manual)
        style = found[1]
    return _split_first_line(text, style, context, *args, **kwargs)


_break_line = wp_block._break_line


def _page_break_in_lines(context, box, line, new_children, *args, **kwargs):
    """A page break inside a paragraph: when the last line left on the page ends in a split word, that line is
    set again without automatic hyphenation (the whole word goes over), so no word is split across a page
    turn. A line carrying a footnote call is left alone (its note is already on the page): the check after
    layout catches what remains."""
    abort, stop, resume_at = _break_line(context, box, line, new_children, *args, **kwargs)
    if abort or len(new_children) < 2 or _JOB.get() is None or not _ends_split(new_children[-1]):
        return abort, stop, resume_at
    last = new_children[-1]
    if any(getattr(b, "footnote", None) is not None for b in last.descendants()):
        return abort, stop, resume_at
    outer = getattr(context, "_buko_no_hyphens", False)
    context._buko_no_hyphens = True
    try:
        again = _iter_line_boxes(context, box.children[0], last.position_y, -float("inf"),
                                 new_children[-2].resume_at, box, [], [], None, None)
        replacement, replacement_resume = next(again)
    except StopIteration:
        return abort, stop, resume_at
    finally:
        context._buko_no_hyphens = outer
    replacement.resume_at = replacement_resume
    new_children[-1] = replacement
    _JOB.get().page_turns_reset += 1
    return abort, stop, resume_at


wp_layout.make_all_pages = _all_pages
wp_layout.make_margin_boxes = _margin_boxes
wp_block.iter_line_boxes = _line_boxes
wp_inline.split_first_line = _first_line
wp_block._break_line = _page_break_in_lines
wp_inline.avoid_collisions = _line_beside_no_float
wp_page.set_page_type_computed_styles = _page_styles
wp_background.layout_box_backgrounds = _backgrounds


class DataOnlyFetcher(URLFetcher):
    """Resolves data: URIs; every other URL (http, file, ...) is refused."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)


@dataclass
class Laid:
    """A laid-out document, the HTML it came from (with any words protected) and what its layout cost."""

    document: object
    html: str
    passes: int
    protected: set[hyphenation.Split]
    stats: dict


@lru_cache(maxsize=8)
def parsed_css(text: str) -> CSS:
    """A stylesheet parsed once per process: each part of a book would otherwise parse it again (~40 ms)."""
    return CSS(string=text)


def lay_out(html: str, variant: str | None, on_laid_out: Callable[[int, dict[str, int]], int] | None = None,
            check_hyphens: bool = True, css: str | None = None, font_config=None) -> Laid:
    """Lays `html` out (with the stylesheet `css` besides any inline one), again with the offending words kept
    whole while a hyphenation limit is broken (at most MAX_PASSES layouts; the last one is kept as it is).
    `font_config` (WeasyPrint's FontConfiguration) may be shared by the documents of one thread: its font caches
    stay warm (Pango is not thread-safe: never share one between threads)."""
    sheets = [parsed_css(css)] if css else None
    protected: set[hyphenation.Split] = set()
    for attempt in range(1, MAX_PASSES + 1):
        job = LayoutJob(check_hyphens=check_hyphens and attempt < MAX_PASSES, on_laid_out=on_laid_out)
        token = _JOB.set(job)
        try:
            document = HTML(string=html, url_fetcher=DataOnlyFetcher()).render(
                pdf_tags=True, pdf_variant=variant, stylesheets=sheets, font_config=font_config)
            return Laid(document, html, attempt, protected, job.stats)
        except Relayout as relayout:
            protected |= relayout.words
            html = hyphenation.protect(html, relayout.words)
        finally:
            _JOB.reset(token)
    raise AssertionError("unreachable: the last pass never checks")
