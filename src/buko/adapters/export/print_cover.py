"""The printer's cover: one PDF spread (back, spine, front) sized for the trim, the bleed and a spine as thick as
the print interior's page count."""
from __future__ import annotations

import base64
import hashlib
import io
import json
from collections import OrderedDict
from dataclasses import asdict

import pikepdf
from weasyprint import HTML

from buko.adapters.export.markup import escape, label, typeset_manuscript
from buko.adapters.export.pdf import WeasyPrintExporter, _DataOnlyFetcher
from buko.adapters.export.pdf_style import BLEED_PT, TRIMS
from buko.application.ports import Exporter
from buko.domain.books.manuscript import Manuscript, shorten

PAPER_MM = {"white": 0.0572, "cream": 0.0635}  # thickness of one page (a leaf is two), common 50-55 lb stock
_MM = 72 / 25.4
MIN_SPINE_TEXT_MM = 6.0  # thinner spines carry no text: it would not stay on the spine once bound


# Interior page counts seen in this process, by book content and trim: the cover spread of a book whose
# interior was just rendered (`buko export --print`) is sized without laying the interior out again.
_PAGES: OrderedDict[str, int] = OrderedDict()
_PAGES_KEPT = 256


def spine_mm(pages: int, paper: str = "white") -> float:
    return round(pages * PAPER_MM[paper], 2)


def count_pages(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)


class PrintInteriorExporter(WeasyPrintExporter):
    """The printer's interior (`pdf-print`): the book without its cover page; with `bleed`, 3 mm of bleed and
    crop marks. Its page count is remembered for the cover spread (bleed does not change the pagination)."""

    format = "pdf-print"

    def __init__(self, page_size: str | None = None, *, bleed: bool = False):
        super().__init__(page_size, print_ready=True, bleed=bleed)

    def pages_key(self, manuscript: Manuscript) -> str:
        payload = json.dumps([asdict(manuscript), self.trim(manuscript), WeasyPrintExporter.version],
                             sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()  # a lone surrogate too

    def render(self, manuscript: Manuscript, cover_png: bytes) -> bytes:
        data = super().render(manuscript, cover_png)
        key = self.pages_key(manuscript)
        _PAGES[key] = count_pages(data)
        _PAGES.move_to_end(key)
        while len(_PAGES) > _PAGES_KEPT:
            _PAGES.popitem(last=False)
        return data

    def page_count(self, manuscript: Manuscript) -> int:
        """The interior's page count: remembered, else laid out now (exactly as the interior file is)."""
        known = _PAGES.get(self.pages_key(manuscript))
        return known if known is not None else count_pages(self.render(manuscript, b""))


class PrintCoverExporter(Exporter):
    """Back cover (synopsis, author), spine (title and author, read top to bottom) and the front cover image,
    with bleed and crop marks. The page count is the print interior's (remembered when it was just rendered in
    this process, else laid out) unless given."""

    format = "cover-pdf"
    extension = "pdf"
    media_type = "application/pdf"
    version = "3"

    def __init__(self, page_size: str | None = None, *, paper: str = "white", pages: int | None = None):
        if paper not in PAPER_MM:
            raise ValueError(f"paper must be one of {sorted(PAPER_MM)}")
        self.interior = PrintInteriorExporter(page_size)
        self.paper, self.pages = paper, pages
        # The spine follows the paper and the interior's layout: either changing makes a new file.
        self.version = f"{self.version}-{paper}-interior{self.interior.version}"

    def page_count(self, manuscript: Manuscript) -> int:
        return self.interior.page_count(manuscript)

    def render(self, manuscript: Manuscript, cover_png: bytes) -> bytes:
        m = typeset_manuscript(manuscript)
        trim = TRIMS[self.interior.trim(m)]
        pages = self.pages or self.page_count(manuscript)
        spine = spine_mm(pages, self.paper) * _MM
        width, height = 2 * trim.width + spine, trim.height
        image = base64.b64encode(cover_png).decode()
        # The running title (short title, or the title cut at a word) and the author: a whole long title would
        # run past the trim at the spine's ends.
        spine_text = (f'<p class="spine-text">{escape(m.running_title)} · {escape(shorten(m.author, 30))}</p>'
                      if spine >= MIN_SPINE_TEXT_MM * _MM else "")
        css = f"""
@page {{ size: {width:.2f}pt {height:.2f}pt; margin: 0; bleed: {BLEED_PT:.2f}pt; marks: crop; }}
html {{ font-family: "EB Garamond", "Noto Serif", serif; }}
body {{ margin: 0; }}
.spread {{ position: relative; width: {width:.2f}pt; height: {height:.2f}pt; }}
.back, .spine, .front {{ position: absolute; top: -{BLEED_PT:.2f}pt; height: {height + 2 * BLEED_PT:.2f}pt; }}
.back {{ left: -{BLEED_PT:.2f}pt; width: {trim.width + BLEED_PT:.2f}pt; background: #1f2a44; color: #f4efe6; }}
.back .text {{ margin: {trim.margins[0] + BLEED_PT:.2f}pt {trim.margins[1]:.2f}pt 0 {trim.margins[1] + BLEED_PT:.2f}pt;
  font-size: 11pt; line-height: 15pt; }}
.spine {{ left: {trim.width:.2f}pt; width: {spine:.2f}pt; background: #1f2a44; color: #f4efe6; }}
.spine-text {{ position: absolute; top: 50%; left: 50%; width: {height * 0.8:.2f}pt; margin: 0;
  transform: translate(-50%, -50%) rotate(90deg); text-align: center; font-size: 9pt; white-space: nowrap; }}
.front {{ left: {trim.width + spine:.2f}pt; width: {trim.width + BLEED_PT:.2f}pt; }}
.front img {{ width: 100%; height: 100%; object-fit: cover; display: block; }}
"""
        alt = f"{label(m.language, 'cover')}: {m.title}. {m.author}"
        html = (
            f'<!DOCTYPE html><html lang="{escape(m.language)}"><head><meta charset="utf-8"/>'
            f"<title>{escape(m.title)}</title><meta name=\"author\" content=\"{escape(m.author)}\"/>"
            f'<meta name="generator" content="Buko"/><style>{css}</style></head><body><div class="spread">'
            f'<div class="back"><div class="text"><p>{escape(m.synopsis)}</p><p>{escape(m.author)}</p>'
            f'<p>{escape(m.credit)}</p></div></div><div class="spine">{spine_text}</div>'
            f'<div class="front"><img src="data:image/png;base64,{image}" alt="{escape(alt)}"/></div></div></body></html>'
        )
        return HTML(string=html, url_fetcher=_DataOnlyFetcher()).write_pdf(pdf_identifier=m.book_id.encode())
