"""PDF export with WeasyPrint: an HTML book laid out with CSS paged media, fetching nothing remote."""
from __future__ import annotations

import base64
import copy
import logging
import xml.etree.ElementTree as ET

import os

from buko.adapters.export.hyphenation import breakable, keep_last_words
from buko.adapters.export.markup import (bind_short_words, escape, label, markdown_to_xhtml, parse_fragment,
                                         typeset_manuscript)
from buko.adapters.export.pdf_artifacts import mark_page_furniture
from buko.adapters.export.pdf_pages import DataOnlyFetcher, lay_out
from buko.adapters.export.pdf_parallel import WorkerFailed, parts_of, render_in_parts
from buko.adapters.export.pdf_style import TRIMS, stylesheet
from buko.adapters.export.pdf_write import fewer_collections
from buko.adapters.export.report import warn_missing_glyphs
from buko.application.ports import Exporter
from buko.domain.books.manuscript import Manuscript, ManuscriptChapter, shorten


_DataOnlyFetcher = DataOnlyFetcher  # the name tests and the print cover import


def footnotes_in_place(xhtml: str) -> str:
    """Moves each note's text to its call, where CSS `float: footnote` sets it at the foot of the page."""
    if "footnote-ref" not in xhtml:
        return xhtml
    root = parse_fragment(xhtml)
    notes: dict[str, ET.Element] = {}
    for item in root.iter("li"):
        if "footnote-item" in item.get("class", ""):
            note = ET.Element("span", {"class": "footnote"})
            for i, block in enumerate(item.findall("p")):
                if i:
                    note.append(ET.Element("br"))
                _append_inline(note, block)
            notes["#" + item.get("id", "")] = note
    for parent in list(root.iter()):
        for i, child in enumerate(list(parent)):
            if child.tag == "sup" and "footnote-ref" in child.get("class", ""):
                link = child.find("a")
                note = notes.pop(link.get("href", "") if link is not None else "", None)
                replacement = note if note is not None else ET.Element("span")
                replacement.tail = child.tail
                parent.remove(child)
                parent.insert(i, replacement)
    for el in [el for el in root if el.get("class") in ("footnotes", "footnotes-sep")]:
        root.remove(el)
    return "".join(ET.tostring(el, encoding="unicode", short_empty_elements=True) for el in root)


def _append_inline(target: ET.Element, block: ET.Element) -> None:
    block = copy.deepcopy(block)
    for parent in list(block.iter()):
        for child in list(parent):
            if "footnote-backref" in child.get("class", ""):
                parent.remove(child)
    if block.text:
        if len(target):
            target[-1].tail = (target[-1].tail or "") + block.text
        else:
            target.text = (target.text or "") + block.text
    target.extend(list(block))
    if len(target):
        target[-1].tail = (target[-1].tail or "").rstrip()
    else:
        target.text = (target.text or "").rstrip()


def _display_title(title: str) -> str:
    """Escaped display title whose short words never end a line and whose last two words stay together."""
    words = breakable(bind_short_words(title)).split(" ")
    if len(words) < 3 or len(words[-1]) >= 12:
        return escape(" ".join(words))
    return f'{escape(" ".join(words[:-2]))} <span class="keep">{escape(" ".join(words[-2:]))}</span>'


def pdf_processes() -> int:
    """BUKO_PDF_PROCESSES (1 = one process, no merging), else the CPU count; at most 8."""
    raw = os.environ.get("BUKO_PDF_PROCESSES", "").strip()
    if raw:
        try:
            if int(raw) >= 1:
                return min(int(raw), 8)
        except ValueError:
            pass
        logging.getLogger(__name__).warning("BUKO_PDF_PROCESSES=%r is not a whole number >= 1: ignored", raw)
    return max(1, min(os.cpu_count() or 1, 8))


class WeasyPrintExporter(Exporter):
    """A tagged PDF/UA book at the manuscript's trim size: cover, title, copyright, contents, chapters.

    `print_ready` makes the printer's interior instead of the reading copy: no cover page, and with `bleed`
    3 mm of bleed and crop marks. `variant` is WeasyPrint's PDF variant (None for a plain tagged PDF).
    `processes` > 1 lays chapters out in that many processes and merges them (pdf_parallel.py); the default
    is BUKO_PDF_PROCESSES, else the machine's CPU count.
    """

    format = "pdf"
    extension = "pdf"
    media_type = "application/pdf"
    version = "4"

    def __init__(self, page_size: str | None = None, *, print_ready: bool = False, bleed: bool = False,
                 variant: str | None = "pdf/ua-1", processes: int | None = None):
        if page_size is not None and page_size not in TRIMS:
            raise ValueError(f"page size must be one of {sorted(TRIMS)}")
        self.page_size, self.print_ready, self.bleed, self.variant = page_size, print_ready, bleed, variant
        self.processes = processes if processes is not None else pdf_processes()
        self.min_part_words = 2_500  # chapters shorter than this share a part (pdf_parallel.parts_of)
        self.parts_per_process = 2  # parts of about equal length per process (None: a part per chapter)
        self.last_report: dict = {}  # how the last render went (processes, relayouts, hyphenation), for bench/
        if print_ready:
            self.version = f"{self.version}-print{'-bleed' if bleed else ''}"

    def render(self, manuscript: Manuscript, cover_png: bytes) -> bytes:
        with fewer_collections():
            return self._render(manuscript, cover_png)

    def _render(self, manuscript: Manuscript, cover_png: bytes) -> bytes:
        m = typeset_manuscript(manuscript)
        warned = []

        def warn() -> None:
            if not warned:
                warn_missing_glyphs(m, self.format)
                warned.append(True)

        processes = min(self.processes, len(parts_of(m, self.min_part_words)))
        if processes > 1:
            try:
                return render_in_parts(self, m, cover_png, processes, meanwhile=warn)
            except WorkerFailed as failure:
                logging.getLogger(__name__).warning("PDF in parts failed (%s); rendering in one process", failure)
        warn()
        laid = lay_out(self.html(m, cover_png), self.variant)
        self.last_report = {"processes": 1, "parts": 1, "relaid": int(laid.passes > 1),
                            "protected": sorted(w.word for w in laid.protected), **laid.stats}
        return self.write(laid.document, m)

    def write(self, document, m: Manuscript) -> bytes:
        """PDF bytes of a laid-out document, running heads and folios drawn as artifacts."""
        mark_page_furniture(document)
        return document.write_pdf(pdf_tags=True, pdf_variant=self.variant, pdf_identifier=m.book_id.encode(),
                                  custom_metadata=False)

    def trim(self, manuscript: Manuscript) -> str:
        return self.page_size or (manuscript.trim_size if manuscript.trim_size in TRIMS else "A5")

    def html(self, manuscript: Manuscript, cover_png: bytes) -> str:
        """The whole book as one HTML document (its table of contents numbered by WeasyPrint)."""
        m = typeset_manuscript(manuscript)
        return (self.head(m) + self.front(m, cover_png) + "".join(self._chapter(m, c) for c in m.chapters)
                + "</body></html>")

    def css(self, m: Manuscript) -> str:
        """The stylesheet for this book's trim (and bleed)."""
        return stylesheet(self.trim(m), self.print_ready and self.bleed)

    def head(self, m: Manuscript, inline_style: bool = True) -> str:
        """The document up to `<body>`: language, metadata and (unless the caller passes it to WeasyPrint as a
        parsed sheet: `lay_out(..., css=)`) the stylesheet."""
        e = escape
        return (
            f'<!DOCTYPE html><html lang="{e(m.language)}"><head><meta charset="utf-8"/>'
            f"<title>{e(m.title)}</title><meta name=\"author\" content=\"{e(m.author)}\"/>"
            f'<meta name="description" content="{e(m.subtitle or m.synopsis)}"/>'
            f'<meta name="keywords" content="Buko, {e(m.language)}"/>'
            f'<meta name="dcterms.created" content="{m.year:04d}-01-01"/>'
            f'<meta name="dcterms.modified" content="{m.year:04d}-01-01"/>'
            f'<meta name="generator" content="Buko"/>'
            + (f"<style>{self.css(m)}</style>" if inline_style else "") + "</head><body>"
        )

    def front(self, m: Manuscript, cover_png: bytes, pages: dict[int, str] | None = None) -> str:
        """Cover, title page, copyright and contents. Without `pages` the contents' numbers are WeasyPrint's
        (target-counter, the chapters in the same document); with `pages` (chapter number -> printed number)
        they are those literals and each entry links to the anchor its chapter has in the merged book."""
        e = escape
        if pages is None:
            entries = (f'<a href="#chapter-{c.number}">' for c in m.chapters)
        else:
            entries = (f'<a href="#chapter-{c.number}" id="chapter-{c.number}" data-page="{pages[c.number]}">'
                       for c in m.chapters)
        toc = "".join(
            f'<li><span class="toc-number">{c.number}</span>{link}{e(breakable(c.title))}</a></li>'
            for c, link in zip(m.chapters, entries)
        )
        subtitle = f'<p class="subtitle">{_display_title(m.subtitle)}</p>' if m.subtitle else ""
        alt = f"{label(m.language, 'cover')}: {m.title}" + (f". {m.subtitle}" if m.subtitle else "") + f". {m.author}"
        cover = "" if self.print_ready else (
            f'<section class="cover"><img src="data:image/png;base64,{base64.b64encode(cover_png).decode()}" '
            f'alt="{e(alt)}"/></section>')
        return (
            f'{cover}<section class="title-page" style="string-set: book &quot;{e(_css_string(m.running_title))}&quot;">'
            f'<p class="book-title" data-title="{e(m.title)}">{_display_title(m.title)}</p>{subtitle}'
            f'<p class="author">{e(m.author)}</p></section>'
            f'<section class="copyright"><div class="copyright-text"><p>{e(m.title)}</p><p>© {m.year} {e(m.author)}</p>'
            f'<p class="credit">{e(m.credit)}</p></div></section>'
            f'<nav class="toc"><h2>{e(label(m.language, "contents"))}</h2><ol>{toc}</ol></nav>'
        )

    def part(self, m: Manuscript, chapters: list[ManuscriptChapter]) -> str:
        """Consecutive chapters as a document of their own, carrying the book's running head (pdf_parallel.py).
        Its stylesheet is not inline: it is laid out with `lay_out(..., css=self.css(m))`."""
        return self.part_html(self.head(m, inline_style=False), m, chapters)

    @classmethod
    def part_html(cls, head: str, m: Manuscript, chapters: list[ManuscriptChapter]) -> str:
        """`part` from the document's head (what a PDF worker process builds: the exporter itself may not travel
        to it, a class does)."""
        return head + "".join(cls._chapter(m, c, sets_book=i == 0) for i, c in enumerate(chapters)) + "</body></html>"

    @staticmethod
    def _chapter(m: Manuscript, c: ManuscriptChapter, sets_book: bool = False) -> str:
        body = markdown_to_xhtml(c.markdown, language=m.language, doc_id=f"c{c.number}", title=c.title)
        body = keep_last_words(footnotes_in_place(body))
        running = escape(_css_string(shorten(c.title)))
        book = (f' style="string-set: book &quot;{escape(_css_string(m.running_title))}&quot;"' if sets_book else "")
        return (
            f'<section class="chapter" id="chapter-{c.number}"{book}>'
            f'<p class="chapter-number">{escape(label(m.language, "chapter"))} {c.number}</p>'
            f'<h1 style="string-set: chapter &quot;{running}&quot;" data-title="{escape(c.title)}">'
            f"{_display_title(c.title)}</h1>{body}</section>"
        )


def _css_string(text: str) -> str:
    """Text safe inside a double-quoted CSS string."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
