"""PDF export with WeasyPrint: an HTML book laid out with CSS paged media, fetching nothing remote."""
from __future__ import annotations

import base64

from weasyprint import HTML
from weasyprint.urls import URLFetcher

from buko.adapters.export import fonts
from buko.adapters.export.markup import escape, label, markdown_to_xhtml
from buko.application.ports import Exporter
from buko.domain.books.manuscript import Manuscript

_CSS = """
@page { size: %(size)s; margin: 20mm 17mm 22mm;
  @top-center { content: string(chapter, first-except); font-size: 8pt; font-style: italic; color: #666; }
  @bottom-center { content: counter(page); font-size: 9pt; color: #444; } }
@page cover { margin: 0; @top-center { content: none } @bottom-center { content: none } }
@page front { @top-center { content: none } @bottom-center { content: none } }
html { font-family: %(serif)s; font-size: 11pt; line-height: 1.42; color: #111; }
body { margin: 0; hyphens: auto; }
.cover { page: cover; margin: 0; }
.cover img { display: block; width: %(width)s; height: %(height)s; object-fit: cover; }
.title-page, .copyright, .toc { page: front; break-before: page; }
.title-page { padding-top: 28%%; }
.title-page p { text-align: center; text-indent: 0; hyphens: manual; }
.book-title { font-size: 26pt; line-height: 1.15; margin: 0 0 6mm; bookmark-level: none; }
.subtitle { font-size: 13pt; font-style: italic; margin: 0 0 22mm; }
.author { font-size: 12pt; letter-spacing: 0.12em; text-transform: uppercase; }
.copyright { font-size: 8.5pt; padding-top: 70%%; color: #333; }
.copyright p { margin: 0 0 2mm; text-indent: 0; }
.toc h2 { font-size: 16pt; font-weight: normal; text-align: center; margin: 10mm 0 8mm; bookmark-level: 1; }
.toc ol { list-style: none; padding: 0; margin: 0; }
.toc li { margin: 0 0 2.5mm; }
.toc a { color: inherit; text-decoration: none; }
.toc a::after { content: leader(". ") target-counter(attr(href), page); }
.chapter { page: chapter; break-before: page; padding-top: 22mm; }
.chapter-number { text-align: center; font-size: 9pt; letter-spacing: 0.2em; text-transform: uppercase;
  margin: 0 0 3mm; text-indent: 0; color: #555; }
h1 { font-size: 20pt; font-weight: normal; text-align: center; line-height: 1.2; margin: 0 0 14mm;
  string-set: chapter content(); hyphens: manual; }
h2, h3, h4 { font-weight: normal; font-style: italic; margin: 6mm 0 2mm; break-after: avoid;
  bookmark-level: none; hyphens: manual; }
h2 { font-size: 13pt; } h3 { font-size: 12pt; } h4 { font-size: 11pt; }
p { margin: 0; text-align: justify; orphans: 2; widows: 2; }
p + p, blockquote + p, ul + p, ol + p { text-indent: 1.2em; }
hr.scene-break { border: none; margin: 4mm 0; text-align: center; break-after: avoid; }
hr.scene-break::after { content: "* * *"; letter-spacing: 0.3em; }
blockquote { margin: 3mm 8mm; font-size: 10.5pt; }
ul, ol { margin: 2mm 0; padding-left: 6mm; }
pre, code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; }
pre { white-space: pre-wrap; margin: 3mm 0; }
a { color: inherit; text-decoration: none; }
.footnotes { font-size: 8.5pt; }
hr.footnotes-sep { border: none; border-top: 0.5pt solid #999; width: 30%%; margin: 6mm 0 2mm; }
sup { line-height: 0; }
"""
_SIZES = {"A5": ("148mm", "210mm"), "A4": ("210mm", "297mm"), "letter": ("8.5in", "11in"), "6x9": ("6in", "9in")}


class _DataOnlyFetcher(URLFetcher):
    """Resolves data: URIs; every other URL (http, file, ...) is refused."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)


class WeasyPrintExporter(Exporter):
    """A print-ready book: cover, title page, copyright, contents with page numbers, chapters."""

    format = "pdf"
    extension = "pdf"
    media_type = "application/pdf"

    def __init__(self, page_size: str = "A5"):
        if page_size not in _SIZES:
            raise ValueError(f"page size must be one of {sorted(_SIZES)}")
        self.page_size = page_size

    def render(self, manuscript: Manuscript, cover_png: bytes) -> bytes:
        html = self.html(manuscript, cover_png)
        return HTML(string=html, url_fetcher=_DataOnlyFetcher()).write_pdf()

    def html(self, manuscript: Manuscript, cover_png: bytes) -> str:
        m, e = manuscript, escape
        width, height = _SIZES[self.page_size]
        size = "6in 9in" if self.page_size == "6x9" else self.page_size
        css = _CSS % {"size": size, "serif": fonts.css_stack(fonts.serif()), "width": width, "height": height}
        cover = base64.b64encode(cover_png).decode()
        toc = "".join(
            f'<li><a href="#chapter-{c.number}">{e(c.title)}</a></li>' for c in m.chapters
        )
        chapters = "".join(
            f'<section class="chapter" id="chapter-{c.number}">'
            f'<p class="chapter-number">{e(label(m.language, "chapter"))} {c.number}</p>'
            f"<h1>{e(c.title)}</h1>"
            f"{markdown_to_xhtml(c.markdown, language=m.language, doc_id=f'c{c.number}', title=c.title)}"
            "</section>"
            for c in m.chapters
        )
        subtitle = f'<p class="subtitle">{e(m.subtitle)}</p>' if m.subtitle else ""
        return (
            f'<!DOCTYPE html><html lang="{e(m.language)}"><head><meta charset="utf-8"/>'
            f"<title>{e(m.title)}</title><meta name=\"author\" content=\"{e(m.author)}\"/>"
            f'<meta name="description" content="{e(m.subtitle or m.synopsis)}"/>'
            f'<meta name="generator" content="Buko"/><style>{css}</style></head><body>'
            f'<section class="cover"><img src="data:image/png;base64,{cover}" alt="{e(label(m.language, "cover"))}"/></section>'
            f'<section class="title-page"><p class="book-title">{e(m.title)}</p>{subtitle}'
            f'<p class="author">{e(m.author)}</p></section>'
            f'<section class="copyright"><p>{e(m.title)}</p><p>© {m.year} {e(m.author)}</p>'
            f'<p class="credit">{e(m.credit)}</p></section>'
            f'<nav class="toc"><h2>{e(label(m.language, "contents"))}</h2><ol>{toc}</ol></nav>'
            f"{chapters}</body></html>"
        )
