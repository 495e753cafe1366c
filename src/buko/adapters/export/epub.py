"""EPUB 3 export with ebooklib, shaped to pass epubcheck without errors or warnings."""
from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime

from ebooklib import epub

from buko.adapters.export.markup import escape, label, markdown_to_xhtml, typeset_manuscript
from buko.application.ports import Exporter
from buko.domain.books.manuscript import Manuscript

_CSS = """
body { font-family: "EB Garamond", Georgia, "Noto Serif", serif; line-height: 1.45; margin: 0 5%; }
p { margin: 0; text-indent: 1.2em; text-align: justify; hyphens: auto; -epub-hyphens: auto; }
h1 + p, h2 + p, h3 + p, h4 + p, hr + p, blockquote + p, .chapter-number + h1 + p { text-indent: 0; }
h1 { font-weight: normal; text-align: center; font-size: 1.6em; margin: 0 0 2em; }
h2, h3, h4 { font-weight: normal; font-style: italic; margin: 1.5em 0 0.5em; }
.chapter-number { text-align: center; text-indent: 0; font-size: 0.8em; letter-spacing: 0.2em;
  text-transform: uppercase; margin: 3em 0 0.5em; }
hr.scene-break { border: none; margin: 1em 0; text-align: center; height: 1.5em; }
hr.scene-break::after { content: "* * *"; letter-spacing: 0.3em; }
blockquote { margin: 1em 1.5em; font-size: 0.95em; }
.footnotes { font-size: 0.85em; }
hr.footnotes-sep { border: none; border-top: 1px solid #999; width: 30%; margin: 2em 0 0.5em; }
.title-page { text-align: center; }
.title-page p { text-indent: 0; text-align: center; }
.book-title { font-size: 2em; margin: 3em 0 0.5em; }
.subtitle { font-style: italic; font-size: 1.2em; margin: 0 0 3em; }
.author { letter-spacing: 0.1em; text-transform: uppercase; }
.rights { font-size: 0.8em; margin-top: 4em; }
.cover { margin: 0; padding: 0; text-align: center; }
.cover img { max-width: 100%; max-height: 100%; }
"""


def semantic_notes(xhtml: str) -> str:
    """Marks footnote calls and notes with epub:type, so readers can show a note as a pop-up."""
    if "footnote-ref" not in xhtml:
        return xhtml
    xhtml = re.sub(r'(<sup class="footnote-ref"><a )', r'\1epub:type="noteref" role="doc-noteref" ', xhtml)
    notes = '<section class="footnotes" epub:type="footnotes" role="doc-endnotes">'
    xhtml = xhtml.replace('<section class="footnotes">', notes)
    return re.sub(r'(<li id="fn-[^"]+" class="footnote-item")', r'\1 epub:type="footnote"', xhtml)


def identifier(book_id: str) -> str:
    """A stable `urn:uuid:` for the book: its id if it is a UUID, else a UUID derived from it."""
    try:
        value = uuid.UUID(book_id)
    except ValueError:
        value = uuid.uuid5(uuid.NAMESPACE_URL, f"buko:book:{book_id}")
    return f"urn:uuid:{value}"


class EbookLibExporter(Exporter):
    """EPUB 3 with NCX and nav, a cover image and page, a title page and one XHTML file per chapter."""

    format = "epub"
    extension = "epub"
    media_type = "application/epub+zip"
    version = "2"

    def __init__(self, modified: datetime | None = None):
        self.modified = modified

    def render(self, manuscript: Manuscript, cover_png: bytes) -> bytes:
        m, lang = typeset_manuscript(manuscript), manuscript.language or "en"
        book = epub.EpubBook()
        book.set_identifier(identifier(m.book_id))
        book.set_title(m.title)
        book.set_language(lang)
        book.add_author(m.author)
        book.add_metadata("DC", "rights", f"© {m.year} {m.author}. {m.credit}")
        if m.synopsis:
            book.add_metadata("DC", "description", m.synopsis)
        css = epub.EpubItem(uid="style", file_name="style/book.css", media_type="text/css", content=_CSS)
        book.add_item(css)
        book.set_cover("images/cover.png", cover_png, create_page=False)

        cover = self._page(book, css, "cover-page", "cover.xhtml", label(lang, "cover"), lang,
                           f'<div class="cover"><img src="images/cover.png" alt="{escape(m.title)}"/></div>')
        title = self._page(book, css, "title-page", "title.xhtml", label(lang, "title"), lang, self._title_page(m))
        chapters = [
            self._page(
                book, css, f"chapter-{c.number}", f"chapter-{c.number:03d}.xhtml", c.title, lang,
                f'<section class="chapter"><p class="chapter-number">{escape(label(lang, "chapter"))} {c.number}</p>'
                f"<h1>{escape(c.title)}</h1>"
                f"{semantic_notes(markdown_to_xhtml(c.markdown, language=lang, doc_id=f'c{c.number}', title=c.title))}"
                "</section>",
            )
            for c in m.chapters
        ]
        book.toc = chapters
        book.add_item(epub.EpubNcx())
        nav = epub.EpubNav(title=label(lang, "contents"))
        nav.lang = lang
        book.add_item(nav)
        book.spine = [cover, title, "nav", *chapters]
        book.guide = [
            {"type": "cover", "href": cover.file_name, "title": label(lang, "cover")},
            {"type": "toc", "href": "nav.xhtml", "title": label(lang, "contents")},
            {"type": "bodymatter", "href": chapters[0].file_name, "title": m.chapters[0].title},
        ] if chapters else []
        out = io.BytesIO()
        mtime = self.modified or datetime.now(UTC)
        epub.write_epub(out, book, {"mtime": mtime, "epub3_pages": False, "raise_exceptions": True})
        return out.getvalue()

    @staticmethod
    def _page(book: epub.EpubBook, css: epub.EpubItem, uid: str, name: str, title: str, lang: str, body: str):
        page = epub.EpubHtml(uid=uid, title=title, file_name=name, lang=lang)
        page.content = f"<html><head><title>{escape(title)}</title></head><body>{body}</body></html>"
        page.add_item(css)
        book.add_item(page)
        return page

    @staticmethod
    def _title_page(m: Manuscript) -> str:
        subtitle = f'<p class="subtitle">{escape(m.subtitle)}</p>' if m.subtitle else ""
        return (
            f'<div class="title-page"><p class="book-title">{escape(m.title)}</p>{subtitle}'
            f'<p class="author">{escape(m.author)}</p>'
            f'<p class="rights">© {m.year} {escape(m.author)}<br/>{escape(m.credit)}</p></div>'
        )
