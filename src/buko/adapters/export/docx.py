"""DOCX export with python-docx: an editable manuscript built from styles, not direct formatting."""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH as ALIGN
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from buko.adapters.export.markup import label, markdown_to_xhtml, parse_fragment
from buko.application.ports import Exporter
from buko.domain.books.manuscript import Manuscript

_TOC_INSTRUCTION = ' TOC \\o "1-2" \\h \\z \\u '
_HEADINGS = {"h2": "Heading 2", "h3": "Heading 3", "h4": "Heading 4"}
# CT_Settings is a sequence: Word rejects a settings part whose children are out of order.
_AFTER_UPDATE_FIELDS = {
    "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr", "attachedSchema",
    "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures",
    "forceUpgrade", "captions", "readModeInkLockDown", "smartTagType", "schemaLibrary", "shapeDefaults",
    "doNotEmbedSmartTags", "decimalSymbol", "listSeparator",
}
# name: (based on, size pt, align, first-line indent mm, italic, bold, space before pt, space after pt)
_STYLES = {
    "Normal": (None, 11.5, None, None, None, None, 0, 0),
    "Body Text": ("Normal", None, ALIGN.JUSTIFY, 5, None, None, 0, 0),
    "First Paragraph": ("Body Text", None, None, 0, None, None, None, None),
    "Title": ("Normal", 28, ALIGN.CENTER, 0, None, False, 90, 12),
    "Subtitle": ("Normal", 14, ALIGN.CENTER, 0, True, False, 0, 36),
    "Author": ("Normal", 13, ALIGN.CENTER, 0, None, None, 0, 60),
    "Credit": ("Normal", 9, ALIGN.CENTER, 0, True, None, 0, 4),
    "Cover": ("Normal", None, ALIGN.CENTER, 0, None, None, 0, 0),
    "Heading 1": ("Normal", 20, ALIGN.CENTER, 0, False, False, 72, 36),
    "Heading 2": ("Normal", 14, ALIGN.LEFT, 0, True, False, 18, 6),
    "Heading 3": ("Normal", 12.5, ALIGN.LEFT, 0, True, False, 12, 4),
    "Heading 4": ("Normal", 11.5, ALIGN.LEFT, 0, True, False, 12, 4),
    "TOC Heading": ("Heading 1", 16, None, None, None, None, None, None),
    "toc 1": ("Normal", None, ALIGN.LEFT, 0, None, None, 0, 4),
    "Quote": ("Normal", 11, ALIGN.JUSTIFY, 0, True, None, 6, 6),
    "Scene Break": ("Normal", None, ALIGN.CENTER, 0, None, None, 9, 9),
    "Code Block": ("Normal", 9, ALIGN.LEFT, 0, None, None, 4, 4),
    "Note": ("Normal", 9, ALIGN.LEFT, 0, None, None, 0, 2),
    "Footer": ("Normal", 9, ALIGN.CENTER, None, None, None, None, None),
}


def _element(tag: str, **attrs: str):
    el = OxmlElement(tag)
    for key, value in attrs.items():
        el.set(qn(f"w:{key}"), value)
    return el


def define_styles(doc, font: str, language: str) -> None:
    """Book styles; theme fonts, colours, borders and numbering of the stock template are dropped."""
    styles = doc.styles
    for name, (based_on, size, align, indent, italic, bold, before, after) in _STYLES.items():
        style = styles[name] if name in styles else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        if based_on:
            style.base_style = styles[based_on]
        for tag in ("w:rFonts", "w:color", "w:spacing"):
            for el in style.element.findall(f"{qn('w:rPr')}/{qn(tag)}"):
                el.getparent().remove(el)
        for tag in ("w:pBdr", "w:numPr"):
            for el in style.element.findall(f"{qn('w:pPr')}/{qn(tag)}"):
                el.getparent().remove(el)
        fmt = style.paragraph_format
        for attr, value in (("alignment", align), ("space_before", before), ("space_after", after)):
            if value is not None:
                setattr(fmt, attr, value if attr == "alignment" else Pt(value))
        if indent is not None:
            fmt.first_line_indent = Mm(indent)
        if size:
            style.font.size = Pt(size)
        style.font.italic, style.font.bold = italic, bold
        if name.startswith("Heading") or name in ("Title", "Subtitle"):
            style.font.color.rgb = RGBColor(0x11, 0x11, 0x11)
    normal = styles["Normal"]
    normal.font.name = font
    normal.element.get_or_add_rPr().append(_element("w:lang", val=language or "en"))
    styles["Title"].paragraph_format.page_break_before = True
    styles["Heading 1"].paragraph_format.page_break_before = True
    styles["Author"].font.all_caps = True
    styles["Code Block"].font.name = "DejaVu Sans Mono"


class PythonDocxExporter(Exporter):
    """Cover, title page, a TOC field Word refreshes on open, one `Heading 1` per chapter, page numbers."""

    format = "docx"
    extension = "docx"
    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    def __init__(self, page_width_mm: float = 148, page_height_mm: float = 210, font: str = "Georgia"):
        self.page = (Mm(page_width_mm), Mm(page_height_mm))
        self.font = font

    def render(self, manuscript: Manuscript, cover_png: bytes) -> bytes:
        m = manuscript
        doc = Document()
        define_styles(doc, self.font, m.language)
        front = doc.sections[0]
        front.page_width, front.page_height = self.page
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(front, side, Mm(20))
        height = front.page_height - front.top_margin - front.bottom_margin - Mm(12)
        doc.add_paragraph(style="Cover").add_run().add_picture(io.BytesIO(cover_png), height=height)
        doc.add_paragraph(m.title, style="Title")
        if m.subtitle:
            doc.add_paragraph(m.subtitle, style="Subtitle")
        doc.add_paragraph(m.author, style="Author")
        doc.add_paragraph(f"© {m.year} {m.author}", style="Credit")
        doc.add_paragraph(m.credit, style="Credit")
        self._toc(doc, m)
        self._page_numbers(doc.add_section(WD_SECTION.NEW_PAGE))
        for chapter in m.chapters:
            doc.add_paragraph(chapter.title, style="Heading 1")
            xhtml = markdown_to_xhtml(chapter.markdown, language=m.language, doc_id=f"c{chapter.number}",
                                      title=chapter.title)
            self._blocks(doc, parse_fragment(xhtml), "Body Text")
        props = doc.core_properties
        props.title, props.author, props.language = m.title, m.author, m.language
        props.subject, props.comments, props.keywords = m.subtitle, m.credit, "Buko"
        self._update_fields_on_open(doc)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()

    @staticmethod
    def _toc(doc, m: Manuscript) -> None:
        doc.add_paragraph(label(m.language, "contents"), style="TOC Heading")
        first = doc.add_paragraph(style="toc 1")
        instruction = OxmlElement("w:instrText")
        instruction.set(qn("xml:space"), "preserve")
        instruction.text = _TOC_INSTRUCTION
        for el in (_element("w:fldChar", fldCharType="begin", dirty="true"), instruction,
                   _element("w:fldChar", fldCharType="separate")):
            first.add_run()._r.append(el)
        for i, chapter in enumerate(m.chapters):
            (first if i == 0 else doc.add_paragraph(style="toc 1")).add_run(chapter.title)
        doc.paragraphs[-1].add_run()._r.append(_element("w:fldChar", fldCharType="end"))

    @staticmethod
    def _page_numbers(section) -> None:
        section.footer.is_linked_to_previous = False
        section._sectPr.insert_element_before(
            _element("w:pgNumType", start="1"), "w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg",
            "w:textDirection", "w:bidi", "w:rtlGutter", "w:docGrid", "w:printerSettings",
        )
        footer = section.footer.paragraphs[0]
        footer.style = "Footer"
        field = _element("w:fldSimple", instr="PAGE")
        field.append(footer.add_run("1")._r)
        footer._p.append(field)

    @staticmethod
    def _update_fields_on_open(doc) -> None:
        settings = doc.settings.element
        successor = next((el for el in settings if el.tag.split("}")[-1] in _AFTER_UPDATE_FIELDS), None)
        flag = _element("w:updateFields", val="true")
        settings.insert(settings.index(successor), flag) if successor is not None else settings.append(flag)

    def _blocks(self, doc, parent: ET.Element, style: str) -> None:
        opening = True
        for el in parent:
            tag, cls = el.tag, el.get("class", "")
            if tag == "p":
                self._fill(doc.add_paragraph(style="First Paragraph" if opening and style == "Body Text" else style), el)
            elif tag in _HEADINGS:
                doc.add_paragraph(" ".join("".join(el.itertext()).split()), style=_HEADINGS[tag])
            elif tag == "hr" and "scene-break" in cls:
                doc.add_paragraph("* * *", style="Scene Break")
            elif tag == "blockquote":
                self._blocks(doc, el, "Quote")
            elif tag in ("ul", "ol"):
                self._list(doc, el, "Note" if "footnotes" in cls else "List Number" if tag == "ol" else "List Bullet")
            elif tag == "pre":
                paragraph = doc.add_paragraph(style="Code Block")
                for i, line in enumerate("".join(el.itertext()).rstrip("\n").split("\n")):
                    if i:
                        paragraph.add_run().add_break()
                    paragraph.add_run(line)
            elif tag != "hr":
                self._blocks(doc, el, style)
            opening = tag in _HEADINGS or tag == "hr"

    def _list(self, doc, el: ET.Element, style: str, depth: int = 1) -> None:
        for number, item in enumerate(el, start=1):
            for i, block in enumerate([child for child in item if child.tag == "p"] or [item]):
                paragraph = doc.add_paragraph(style=style)
                if style == "Note" and i == 0:
                    paragraph.add_run(f"{number}. ")
                self._fill(paragraph, block)
            for nested in (child for child in item if child.tag in ("ul", "ol") and depth < 3):
                kind = "List Number" if nested.tag == "ol" else "List Bullet"
                self._list(doc, nested, f"{kind} {depth + 1}", depth + 1)

    def _inline(self, paragraph, el: ET.Element, bold: bool = False, italic: bool = False, sup: bool = False):
        def emit(text: str | None) -> None:
            if text:
                run = paragraph.add_run(text.replace("\n", " "))
                if bold or italic or sup:
                    run.bold, run.italic, run.font.superscript = bold or None, italic or None, sup or None

        emit(el.text)
        for child in el:
            if child.tag == "br":
                paragraph.add_run().add_break()
            elif child.tag not in ("ul", "ol", "p", "blockquote") and "footnote-backref" not in child.get("class", ""):
                self._inline(paragraph, child, bold or child.tag == "strong", italic or child.tag == "em",
                             sup or child.tag == "sup")
            emit(child.tail)

    def _fill(self, paragraph, el: ET.Element) -> None:
        self._inline(paragraph, el)
        for run in reversed(paragraph.runs):
            text = run.text.rstrip(" \n")
            if text != run.text:
                run.text = text
            if text:
                break
