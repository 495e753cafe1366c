"""DOCX export with python-docx: an editable manuscript built from styles, not direct formatting."""
from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_SECTION
from docx.oxml.ns import qn
from docx.shared import Mm

from buko.adapters.export import fonts
from buko.adapters.export.docx_body import BodyWriter
from buko.adapters.export.docx_styles import PAGES, define_styles, element, set_setting
from buko.adapters.export.markup import label, markdown_to_xhtml, parse_fragment, typeset_manuscript
from buko.application.ports import Exporter
from buko.domain.books.manuscript import Manuscript

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


class PythonDocxExporter(Exporter):
    """Cover, title and copyright pages, a TOC field Word refreshes on open, one section per chapter.

    Each chapter opens on a recto page (an odd-page section break) with a `Chapter Label` and a
    `Heading 1`; margins mirror; verso heads carry the book title, recto heads the chapter (STYLEREF).
    """

    format = "docx"
    extension = "docx"
    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    version = "2"

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
        picture = doc.add_paragraph(style="Cover").add_run().add_picture(io.BytesIO(cover_png))
        scale = min(room / picture.height, (front.page_width - front.left_margin - front.right_margin) / picture.width)
        picture.width, picture.height = int(picture.width * scale), int(picture.height * scale)
        doc.add_paragraph(m.title, style="Title")
        if m.subtitle:
            doc.add_paragraph(m.subtitle, style="Subtitle")
        doc.add_paragraph(m.author, style="Author")
        doc.add_paragraph(m.title, style="Copyright")
        doc.add_paragraph(f"© {m.year} {m.author}", style="Credit")
        doc.add_paragraph(m.credit, style="Credit")
        self._toc(doc, m)
        body = BodyWriter(doc)
        for i, chapter in enumerate(m.chapters):
            section = doc.add_section(WD_SECTION.ODD_PAGE)
            if i == 0:
                self._running_heads(doc, section, m.title)
            else:  # the new section is a clone of the previous one: numbering must continue, not restart
                for restart in section._sectPr.findall(qn("w:pgNumType")):
                    section._sectPr.remove(restart)
            doc.add_paragraph(f"{label(m.language, 'chapter')} {chapter.number}", style="Chapter Label")
            doc.add_paragraph(chapter.title, style="Heading 1")
            xhtml = markdown_to_xhtml(chapter.markdown, language=m.language, doc_id=f"c{chapter.number}",
                                      title=chapter.title)
            body.blocks(parse_fragment(xhtml), "Body Text")
        props = doc.core_properties
        props.title, props.author, props.language = m.title, m.author, m.language
        props.subject, props.comments, props.keywords = m.subtitle, m.credit, "Buko"
        set_setting(doc, "mirrorMargins")
        set_setting(doc, "autoHyphenation", val="true")
        set_setting(doc, "evenAndOddHeaders")
        set_setting(doc, "updateFields", val="true")
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()

    @staticmethod
    def _toc(doc, m: Manuscript) -> None:
        doc.add_paragraph(label(m.language, "contents"), style="TOC Heading")
        first = doc.add_paragraph(style="toc 1")
        code = element("w:instrText")
        code.set(qn("xml:space"), "preserve")
        code.text = _TOC_INSTRUCTION
        for el in (element("w:fldChar", fldCharType="begin", dirty="true"), code,
                   element("w:fldChar", fldCharType="separate")):
            first.add_run()._r.append(el)
        for i, chapter in enumerate(m.chapters):
            (first if i == 0 else doc.add_paragraph(style="toc 1")).add_run(chapter.title)
        doc.paragraphs[-1].add_run()._r.append(element("w:fldChar", fldCharType="end"))

    @staticmethod
    def _running_heads(doc, section, title: str) -> None:
        """Folios on every body page; book title on versos, chapter title on rectos.

        Openers keep their head: a distinct first-page header (titlePg) hides every running head in LibreOffice.
        """
        section._sectPr.insert_element_before(element("w:pgNumType", start="1"), *_SECT_AFTER_PGNUM)
        for part in (section.header, section.even_page_header, section.footer, section.even_page_footer):
            part.is_linked_to_previous = False
        for footer in (section.footer, section.even_page_footer):
            paragraph = footer.paragraphs[0]
            paragraph.style = "Footer"
            _field(paragraph, "PAGE", "1")
        section.even_page_header.paragraphs[0].style = "Header"
        section.even_page_header.paragraphs[0].add_run(title)
        section.header.paragraphs[0].style = "Header"
        _field(section.header.paragraphs[0], 'STYLEREF "Heading 1"', "")
