"""EPUB 3 export with ebooklib, shaped to pass epubcheck without errors or warnings."""
from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime

from ebooklib import epub

from buko.adapters.export.markup import escape, label, markdown_to_xhtml, typeset_manuscript
from buko.adapters.export.zipstamp import stamp_zip
from buko.application.ports import Exporter
from buko.domain.books.manuscript import Manuscript

_CSS = """
body { font-family: "EB Garamond", Georgia, "Noto Serif", serif; line-height: 1.45; margin: 0 5%; }
p { margin: 0; text-indent: 1.2em; text-align: justify; hyphens: auto; -epub-hyphens: auto; }
h1 + p, h2 + p, h3 + p, h4 + p, hr + p, blockquote + p, table + p { text-indent: 0; }
h1 { font-weight: normal; text-align: center; font-size: 1.6em; margin: 3em 0 2em; }
h1 .chapter-number { display: block; font-size: 0.5em; letter-spacing: 0.2em; text-transform: uppercase;
  margin-bottom: 0.8em; }
h2, h3, h4 { font-weight: normal; font-style: italic; margin: 1.5em 0 0.5em; }
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
.rights p { text-indent: 0; text-align: left; }
p, li, td, th, h1, h2, h3, h4 { overflow-wrap: break-word; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border-bottom: 1px solid #999; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
code, pre { font-family: "DejaVu Sans Mono", monospace; font-size: 0.85em; }
pre { white-space: pre-wrap; }
nav ol { list-style: none; padding-left: 1em; }
nav a { text-decoration: none; }
.cover { margin: 0; padding: 0; text-align: center; }
.cover img { max-width: 100%; max-height: 100%; }
"""


_NOTE_ITEM = re.compile(r'<li id="(fn-[^"]+)" class="footnote-item">(.*?)</li>', re.S)


def semantic_notes(xhtml: str) -> str:
    """Marks footnote calls and notes with epub:type, so readers can show a note as a pop-up."""
    if "footnote-ref" not in xhtml:
        return xhtml
    xhtml = re.sub(r'(<sup class="footnote-ref"><a )', r'\1epub:type="noteref" role="doc-noteref" ', xhtml)
    # The notes sit at the chapter's end (doc-endnotes); each note is an aside whose role matches its epub:type
    # (Ace checks it; doc-endnote on the list item is deprecated).
    xhtml = xhtml.replace('<section class="footnotes">', '<section class="footnotes" role="doc-endnotes">')
    return _NOTE_ITEM.sub(r'<li class="footnote-item"><aside id="\1" epub:type="footnote" role="doc-footnote">'
                          r"\2</aside></li>", xhtml)


class _Writer(epub.EpubWriter):
    """ebooklib's writer, plus the package's xml:lang (reading systems and Ace take the language from it)."""

    def _write_opf_file(self, root):
        root.set("{http://www.w3.org/XML/1998/namespace}lang", self.book.language)
        super()._write_opf_file(root)


def identifier(book_id: str) -> str:
    """A stable `urn:uuid:` for the book: its id if it is a UUID, else a UUID derived from it."""
    try:
        value = uuid.UUID(book_id)
    except ValueError:
        value = uuid.uuid5(uuid.NAMESPACE_URL, f"buko:book:{book_id}")
    return f"urn:uuid:{value}"


_SUMMARY = {
    "en": "A reflowable book with a navigable table of contents (chapters and their sections), headings that "
          "follow the book's structure, the reading order of the printed book, text descriptions for every "
          "image and no content that flashes, moves or plays sound.",
    "es": "Libro de texto adaptable con índice navegable (capítulos y sus secciones), encabezados que siguen la "
          "estructura del libro, el orden de lectura del libro impreso, descripción textual de cada imagen y "
          "ningún contenido que parpadee, se mueva o suene.",
}
# EPUB Accessibility 1.1 metadata: only what every Buko book really has (text, a described cover image,
# headings, a TOC and reading order; no audio, video, animation or page list).
_ACCESSIBILITY = (
    ("schema:accessMode", "textual"),
    ("schema:accessMode", "visual"),
    ("schema:accessModeSufficient", "textual"),
    ("schema:accessibilityFeature", "structuralNavigation"),
    ("schema:accessibilityFeature", "tableOfContents"),
    ("schema:accessibilityFeature", "readingOrder"),
    ("schema:accessibilityFeature", "alternativeText"),
    ("schema:accessibilityFeature", "displayTransformability"),
    ("schema:accessibilityHazard", "none"),
    ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"),
)
_H2 = re.compile(r"<h2>(.*?)</h2>", re.S)
_TAGS = re.compile(r"<[^>]+>")


def _sections(xhtml: str, chapter: int) -> tuple[str, list[tuple[str, str]]]:
    """Gives each h2 an id; returns the XHTML and the (id, text) of each section for the nav."""
    found: list[tuple[str, str]] = []

    def number(match: re.Match) -> str:
        anchor = f"c{chapter}-s{len(found) + 1}"
        found.append((anchor, " ".join(_TAGS.sub("", match[1]).split())))
        return f'<h2 id="{anchor}">{match[1]}</h2>'

    return _H2.sub(number, xhtml), found


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#160;", "\u00a0") \
        .replace("&amp;", "&")


class EbookLibExporter(Exporter):
    """EPUB 3 with NCX and nav (chapters and sections), accessibility metadata, cover, title page, one file per
    chapter. The same manuscript always gives the same bytes: dates come from the book, not the clock."""

    format = "epub"
    extension = "epub"
    media_type = "application/epub+zip"
    version = "3"

    def __init__(self, modified: datetime | None = None):
        self.modified = modified

    def render(self, manuscript: Manuscript, cover_png: bytes) -> bytes:
        m = typeset_manuscript(manuscript)
        lang = m.language or "en"
        modified = self.modified or datetime(m.year, 1, 1, tzinfo=UTC)
        book = epub.EpubBook()
        book.set_identifier(identifier(m.book_id))
        book.set_title(m.title)
        book.set_language(lang)
        book.add_author(m.author)
        book.add_metadata("DC", "rights", f"© {m.year} {m.author}. {m.credit}")
        book.add_metadata("DC", "date", f"{m.year:04d}")
        book.add_metadata("DC", "publisher", m.author)
        if m.subject:
            book.add_metadata("DC", "subject", m.subject)
        if m.synopsis:
            book.add_metadata("DC", "description", m.synopsis)
        for prop, value in _ACCESSIBILITY:
            book.add_metadata(None, "meta", value, {"property": prop})
        summary = _SUMMARY.get(m.base_language, _SUMMARY["en"])
        book.add_metadata(None, "meta", summary, {"property": "schema:accessibilitySummary"})
        css = epub.EpubItem(uid="style", file_name="style/book.css", media_type="text/css", content=_CSS)
        book.add_item(css)
        book.set_cover("images/cover.png", cover_png, create_page=False)

        alt = f"{label(lang, 'cover')}: {m.title}" + (f". {m.subtitle}" if m.subtitle else "") + f". {m.author}"
        cover = self._page(book, css, "cover-page", "cover.xhtml", label(lang, "cover"), lang,
                           f'<section class="cover" epub:type="cover"><img src="images/cover.png" role="doc-cover" '
                           f'alt="{escape(alt)}"/></section>')
        title = self._page(book, css, "title-page", "title.xhtml", label(lang, "title"), lang, self._title_page(m))
        chapters, toc = [], []
        for c in m.chapters:
            body = markdown_to_xhtml(c.markdown, language=lang, doc_id=f"c{c.number}", title=c.title)
            body, sections = _sections(semantic_notes(body), c.number)
            page = self._page(
                book, css, f"chapter-{c.number}", f"chapter-{c.number:03d}.xhtml", c.title, lang,
                f'<section class="chapter" epub:type="chapter" role="doc-chapter" aria-labelledby="h-c{c.number}">'
                f'<h1 id="h-c{c.number}"><span class="chapter-number">{escape(label(lang, "chapter"))} {c.number}'
                f"</span> {escape(c.title)}</h1>{body}</section>",
            )
            chapters.append(page)
            links = [epub.Link(f"{page.file_name}#{anchor}", _unescape(text), anchor) for anchor, text in sections]
            toc.append((epub.Link(page.file_name, c.title, f"toc-c{c.number}"), links) if links else page)
        book.toc = toc
        book.add_item(epub.EpubNcx())
        nav = epub.EpubNav(title=label(lang, "contents"))
        nav.lang = lang
        nav.add_item(css)
        book.add_item(nav)
        book.spine = [cover, title, "nav", *chapters]
        book.guide = [
            {"type": "cover", "href": cover.file_name, "title": label(lang, "cover")},
            {"type": "toc", "href": "nav.xhtml", "title": label(lang, "contents")},
            {"type": "bodymatter", "href": chapters[0].file_name, "title": m.chapters[0].title},
        ] if chapters else []
        out = io.BytesIO()
        writer = _Writer(out, book, {"mtime": modified, "epub3_pages": False, "raise_exceptions": True,
                                     "landmark_title": label(lang, "landmarks")})
        writer.process()
        writer.write()
        return stamp_zip(out.getvalue(), modified)

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
            f'<section class="title-page" epub:type="titlepage"><p class="book-title">{escape(m.title)}</p>'
            f'{subtitle}<p class="author">{escape(m.author)}</p></section>'
            f'<section class="rights" epub:type="copyright-page" aria-label="{escape(label(m.language, "copyright"))}">'
            f"<p>© {m.year} {escape(m.author)}</p><p>{escape(m.credit)}</p></section>"
        )
