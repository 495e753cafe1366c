"""PDF export with WeasyPrint: an HTML book laid out with CSS paged media, fetching nothing remote."""
from __future__ import annotations

import base64
import copy
import xml.etree.ElementTree as ET

from weasyprint import HTML
from weasyprint.urls import URLFetcher

from buko.adapters.export.markup import escape, label, markdown_to_xhtml, parse_fragment, typeset_manuscript
from buko.adapters.export.pdf_style import TRIMS, stylesheet
from buko.application.ports import Exporter
from buko.domain.books.manuscript import Manuscript, ManuscriptChapter


class _DataOnlyFetcher(URLFetcher):
    """Resolves data: URIs; every other URL (http, file, ...) is refused."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)


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


def _keep_last_words(title: str) -> str:
    """Escaped display title that never ends on a line of one short word: its last two words stay together."""
    words = title.split(" ")
    if len(words) < 4 or len(words[-1]) >= 12:
        return escape(title)
    return f'{escape(" ".join(words[:-2]))} <span class="keep">{escape(" ".join(words[-2:]))}</span>'


class WeasyPrintExporter(Exporter):
    """A print-ready book at the manuscript's trim size: cover, title, copyright, contents, chapters."""

    format = "pdf"
    extension = "pdf"
    media_type = "application/pdf"
    version = "2"

    def __init__(self, page_size: str | None = None):
        if page_size is not None and page_size not in TRIMS:
            raise ValueError(f"page size must be one of {sorted(TRIMS)}")
        self.page_size = page_size

    def render(self, manuscript: Manuscript, cover_png: bytes) -> bytes:
        html = self.html(manuscript, cover_png)
        # Tagged: screen readers and reflowing viewers get the structure, not only the ink.
        return HTML(string=html, url_fetcher=_DataOnlyFetcher()).write_pdf(pdf_tags=True)

    def html(self, manuscript: Manuscript, cover_png: bytes) -> str:
        m, e = typeset_manuscript(manuscript), escape
        trim = self.page_size or (m.trim_size if m.trim_size in TRIMS else "A5")
        cover = base64.b64encode(cover_png).decode()
        toc = "".join(
            f'<li><span class="toc-number">{c.number}</span><a href="#chapter-{c.number}">{e(c.title)}</a></li>'
            for c in m.chapters
        )
        subtitle = f'<p class="subtitle">{e(m.subtitle)}</p>' if m.subtitle else ""
        return (
            f'<!DOCTYPE html><html lang="{e(m.language)}"><head><meta charset="utf-8"/>'
            f"<title>{e(m.title)}</title><meta name=\"author\" content=\"{e(m.author)}\"/>"
            f'<meta name="description" content="{e(m.subtitle or m.synopsis)}"/>'
            f'<meta name="keywords" content="Buko, {e(m.language)}"/>'
            f'<meta name="dcterms.created" content="{m.year:04d}-01-01"/>'
            f'<meta name="generator" content="Buko"/><style>{stylesheet(trim)}</style></head><body>'
            f'<section class="cover"><img src="data:image/png;base64,{cover}" alt="{e(label(m.language, "cover"))}"/>'
            f'</section><section class="title-page"><p class="book-title">{_keep_last_words(m.title)}</p>{subtitle}'
            f'<p class="author">{e(m.author)}</p></section>'
            f'<section class="copyright"><p>{e(m.title)}</p><p>© {m.year} {e(m.author)}</p>'
            f'<p class="credit">{e(m.credit)}</p></section>'
            f'<nav class="toc"><h2>{e(label(m.language, "contents"))}</h2><ol>{toc}</ol></nav>'
            f"{''.join(self._chapter(m, c) for c in m.chapters)}</body></html>"
        )

    @staticmethod
    def _chapter(m: Manuscript, c: ManuscriptChapter) -> str:
        body = markdown_to_xhtml(c.markdown, language=m.language, doc_id=f"c{c.number}", title=c.title)
        return (
            f'<section class="chapter" id="chapter-{c.number}">'
            f'<p class="chapter-number">{escape(label(m.language, "chapter"))} {c.number}</p>'
            f"<h1>{_keep_last_words(c.title)}</h1>{footnotes_in_place(body)}</section>"
        )
