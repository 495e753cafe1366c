"""DOCX export with python-docx: an editable manuscript built from styles, not direct formatting."""
from __future__ import annotations

import io
from datetime import UTC, datetime

from docx import Document
from docx.enum.section import WD_SECTION
from docx.oxml.ns import qn
from docx.shared import Mm

from buko.adapters.export import fonts
from buko.adapters.export.docx_body import BodyWriter
from buko.adapters.export.docx_styles import PAGES, define_styles, element, set_setting
from buko.adapters.export.markup import label, markdown_to_xhtml, parse_fragment, typeset_manuscript
from buko.adapters.export.zipstamp import stamp_zip
from buko.application.ports import Exporter
from buko.domain.books.manuscript import Manuscript, shorten

_TOC_INSTRUCTION = ' TOC \\o "1-2" \\h \\z \\u '
_SECT_AFTER_PGNUM = ("w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection", "w:bidi",
                     "w:rtlGutter", "w:docGrid", "w:printerSettings")


def _field(paragraph, instruction: str, placeholder: str) -> None:
    """A complex field (begin, instruction, separate, cached result, end) that Word recalculates."""
    code = element("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    for part in (element("w:fldChar", fldCharType="begin"), code, element("w:fldChar", fldCharType="separate")):
        paragraph.add_run()._r.append(part)
    paragraph.add_run(placeholder)
    paragraph.add_run()._r.append(element("w:fldChar", fldCharType="end"))


_TOC_NOTE = {
    "en": "Page numbers appear once the table is updated: in Word, right-click it and choose Update Field; "
          "in LibreOffice, Tools > Update > Update All.",
    "es": "Los números de página aparecen al actualizar el índice: en Word, clic derecho sobre él y "
          "«Actualizar campos»; en LibreOffice, Herramientas > Actualizar > Actualizar todo.",
}


class PythonDocxExporter(Exporter):
    """Cover; title page on a recto, copyright at the foot of its verso, contents on a recto (section breaks, not
    page breaks); one odd-page section per chapter with its own running heads (book title on versos, chapter
    title on rectos, as plain text both Word and LibreOffice show); real footnotes; dates from the book.
    """

    format = "docx"
    extension = "docx"
    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    version = "3"

    def __init__(self, font: str | None = None, heading_font: str | None = None):
        self.font = font or fonts.serif().name
        self.heading_font = heading_font or fonts.sans().name

    def render(self, manuscript: Manuscript, cover_png: bytes) -> bytes:
        m = typeset_manuscript(manuscript)
        doc = Document()
        define_styles(doc, self.font, self.heading_font, m.language)
        width, height, top, outside, bottom, inside = PAGES.get(m.trim_size, PAGES["A5"])
        front = doc.sections[0]
        front.page_width, front.page_height = Mm(width), Mm(height)
        front.top_margin, front.bottom_margin = Mm(top), Mm(bottom)
        front.left_margin, front.right_margin = Mm(inside), Mm(outside)
        front.header_distance, front.footer_distance = Mm(top / 2), Mm(bottom / 2)
        room = front.page_height - front.top_margin - front.bottom_margin - Mm(12)
        body = BodyWriter(doc)  # paragraphs by style id: python-docx looks a style name up with an XPath scan
        picture = body.paragraph("Cover").add_run().add_picture(io.BytesIO(cover_png))
        scale = min(room / picture.height, (front.page_width - front.left_margin - front.right_margin) / picture.width)
        picture.width, picture.height = int(picture.width * scale), int(picture.height * scale)
        alt = f"{label(m.language, 'cover')}: {m.title}. {m.author}"
        for props in picture._inline.iter(qn("wp:docPr")):
            props.set("descr", alt)
        doc.add_section(WD_SECTION.ODD_PAGE)
        body.paragraph("Title", m.title)
        if m.subtitle:
            body.paragraph("Subtitle", m.subtitle)
        body.paragraph("Author", m.author)
        copyright_page = doc.add_section(WD_SECTION.EVEN_PAGE)
        _valign(copyright_page, "bottom")
        body.paragraph("Copyright", m.title)
        body.paragraph("Credit", f"© {m.year} {m.author}")
        body.paragraph("Credit", m.credit)
        _valign(doc.add_section(WD_SECTION.ODD_PAGE), None)
        self._toc(body, m)
        for i, chapter in enumerate(m.chapters):
            section = doc.add_section(WD_SECTION.ODD_PAGE)
            self._running_heads(section, m.running_title, shorten(chapter.title), body.ids, first=i == 0)
            body.paragraph("Chapter Label", f"{label(m.language, 'chapter')} {chapter.number}")
            body.paragraph("Heading 1", chapter.title)
            xhtml = markdown_to_xhtml(chapter.markdown, language=m.language, doc_id=f"c{chapter.number}",
                                      title=chapter.title)
            body.chapter(parse_fragment(xhtml))
        body.attach_footnotes()
        when = datetime(m.year, 1, 1, tzinfo=UTC)
        props = doc.core_properties
        props.title, props.author, props.language = m.title, m.author, m.language
        props.subject, props.comments, props.keywords = m.subtitle, m.credit, "Buko"
        props.created = props.modified = when
        props.last_modified_by, props.revision = m.author, 1
        set_setting(doc, "mirrorMargins")
        set_setting(doc, "autoHyphenation", val="true")
        set_setting(doc, "consecutiveHyphenLimit", val="2")
        set_setting(doc, "evenAndOddHeaders")
        if body.next_note > 1:
            set_setting(doc, "footnotePr")
            settings_notes = doc.settings.element.find(qn("w:footnotePr"))
            for number in ("-1", "0"):
                settings_notes.append(element("w:footnote", id=number))
        out = io.BytesIO()
        doc.save(out)
        return stamp_zip(out.getvalue(), when)

    @staticmethod
    def _toc(body: BodyWriter, m: Manuscript) -> None:
        """A TOC field with the chapter titles as its result; Word is not told to refresh it on every open."""
        body.paragraph("TOC Heading", label(m.language, "contents"))
        first = last = body.paragraph("toc 1")
        code = element("w:instrText")
        code.set(qn("xml:space"), "preserve")
        code.text = _TOC_INSTRUCTION
        for el in (element("w:fldChar", fldCharType="begin"), code, element("w:fldChar", fldCharType="separate")):
            first.add_run()._r.append(el)
        for i, chapter in enumerate(m.chapters):
            last = first if i == 0 else body.paragraph("toc 1")
            last.add_run(chapter.title)
        last.add_run()._r.append(element("w:fldChar", fldCharType="end"))
        body.paragraph("TOC Note", _TOC_NOTE.get(m.base_language, _TOC_NOTE["en"]))

    @staticmethod
    def _running_heads(section, book_title: str, chapter_title: str, ids: dict[str, str], first: bool) -> None:
        """Folios on every body page; book title on versos, this chapter's title on rectos (plain text).

        A new section starts as a copy of the previous one, header references included: they are dropped so
        the chapter gets headers of its own instead of rewriting the previous chapter's. Openers keep their
        head: a distinct first-page header (titlePg) hides every running head in LibreOffice.
        """
        sect = section._sectPr
        for ref in sect.findall(qn("w:headerReference")):
            sect.remove(ref)
        if first:
            sect.insert_element_before(element("w:pgNumType", start="1"), *_SECT_AFTER_PGNUM)
            for footer in (section.footer, section.even_page_footer):
                footer.is_linked_to_previous = False
                paragraph = footer.paragraphs[0]
                paragraph._p.style = ids["Footer"]
                _field(paragraph, "PAGE", "1")
        else:  # numbering must continue, not restart
            for restart in sect.findall(qn("w:pgNumType")):
                sect.remove(restart)
        for header, text in ((section.even_page_header, book_title), (section.header, chapter_title)):
            header.is_linked_to_previous = False
            header.paragraphs[0]._p.style = ids["Header"]
            header.paragraphs[0].add_run(text)


def _valign(section, value: str | None) -> None:
    """Vertical alignment of a section's pages (the copyright block sits at the foot of its page)."""
    sect = section._sectPr
    for old in sect.findall(qn("w:vAlign")):
        sect.remove(old)
    if value:
        sect.insert_element_before(element("w:vAlign", val=value), *_SECT_AFTER_PGNUM[_SECT_AFTER_PGNUM.index("w:vAlign") + 1:])
