"""Chapter XHTML -> DOCX paragraphs, runs, tables and real footnotes, each carrying a style id and no direct
formatting."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from lxml.etree import SubElement
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import XmlPart
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.parser import OxmlElement
from docx.text.paragraph import Paragraph

from buko.adapters.export.docx_styles import element

_HEADINGS = {"h2": "Heading 2", "h3": "Heading 3", "h4": "Heading 4"}
_R, _T = qn("w:r"), qn("w:t")
MAX_LIST_DEPTH = 5
_ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT, "center": WD_ALIGN_PARAGRAPH.CENTER}
_SEPARATORS = (
    f'<w:footnotes {nsdecls("w")}>'
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/>'
    "</w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>"
    '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
    'w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote></w:footnotes>'
)


def _run_style(marks: frozenset[str]) -> str | None:
    if "code" in marks:
        return "Code"
    if "sup" in marks:
        return "Note Reference"
    if {"em", "strong"} <= marks:
        return "Strong Emphasis"
    return "Emphasis" if "em" in marks else "Strong" if "strong" in marks else None


def _is(el: ET.Element, cls: str) -> bool:
    return cls in el.get("class", "").split()


_VAL, _SPACE = qn("w:val"), qn("xml:space")
_P, _PPR, _PSTYLE, _RPR, _RSTYLE = qn("w:p"), qn("w:pPr"), qn("w:pStyle"), qn("w:rPr"), qn("w:rStyle")


def _style(el, props: str, ref: str, style_id: str | None):
    """`el` (a `<w:p>` or `<w:r>`) given its style, built with lxml directly: python-docx's generic child
    insertion and OxmlElement's per-call tag parsing were most of the time."""
    if style_id:
        SubElement(SubElement(el, props), ref).set(_VAL, style_id)
    return el


class BodyWriter:
    """Appends chapter content to one document; style ids are looked up once, not per paragraph."""

    def __init__(self, doc):
        self.doc = doc
        self.body = doc.element.body
        self.ids = {style.name: style.style_id for style in doc.styles}
        self.footnotes = parse_xml(_SEPARATORS)
        self.notes: dict[str, ET.Element] = {}
        self.next_note = 1

    def paragraph(self, style: str, text: str = ""):
        p = _style(self.body.makeelement(_P), _PPR, _PSTYLE, self.ids[style])
        self.body.insert(len(self.body) - 1, p)  # the body's last child is its sectPr
        paragraph = Paragraph(p, self.doc._body)
        if text:
            self.run(paragraph, text)
        return paragraph

    def run(self, paragraph, text: str, style: str | None = None):
        r = _style(SubElement(paragraph._p, _R), _RPR, _RSTYLE, self.ids[style] if style else None)
        t = SubElement(r, _T)
        t.text = text
        if text[:1].isspace() or text[-1:].isspace():
            t.set(_SPACE, "preserve")
        return r

    def chapter(self, root: ET.Element) -> None:
        """One chapter's content; its notes become Word footnotes at their calls."""
        self.notes = {item.get("id", ""): item for item in root.iter("li") if _is(item, "footnote-item")}
        self.blocks(root, "Body Text")

    def blocks(self, parent: ET.Element, style: str) -> None:
        opening = True
        for el in parent:
            tag = el.tag
            if tag == "p":
                self.fill(self.paragraph("First Paragraph" if opening and style == "Body Text" else style), el)
            elif tag in _HEADINGS:
                self.paragraph(_HEADINGS[tag], " ".join("".join(el.itertext()).split()))
            elif tag == "hr" and _is(el, "scene-break"):
                self.paragraph("Scene Break", "* * *")
            elif tag == "blockquote":
                self.blocks(el, "Quote")
            elif tag in ("ul", "ol"):
                self.list(el, "List Number" if tag == "ol" else "List Bullet")
            elif tag == "table":
                self.table(el)
            elif tag == "pre":
                paragraph = self.paragraph("Code Block")
                for i, line in enumerate("".join(el.itertext()).rstrip("\n").split("\n")):
                    if i:
                        paragraph.add_run().add_break()
                    paragraph.add_run(line)
            elif tag == "section" and _is(el, "footnotes"):
                continue  # already set as footnotes at their calls
            elif tag != "hr":
                self.blocks(el, style)
            opening = tag in _HEADINGS or tag == "hr"

    def list(self, el: ET.Element, kind: str, depth: int = 1) -> None:
        """Nested lists keep every level: 1-5 get their own style, deeper ones stay at level 5."""
        style = kind if depth == 1 else f"{kind} {min(depth, MAX_LIST_DEPTH)}"
        for item in el:
            for block in [child for child in item if child.tag == "p"] or [item]:
                self.fill(self.paragraph(style), block)
            for nested in (child for child in item if child.tag in ("ul", "ol")):
                self.list(nested, "List Number" if nested.tag == "ol" else "List Bullet", depth + 1)

    def table(self, el: ET.Element) -> None:
        rows = [row for row in el.iter("tr")]
        columns = max((len([c for c in row if c.tag in ("th", "td")]) for row in rows), default=0)
        if not rows or not columns:
            return
        table = self.doc.add_table(rows=len(rows), cols=columns)
        table.style = self.doc.styles["Table Grid"]
        for r, row in enumerate(rows):
            for c, cell in enumerate(child for child in row if child.tag in ("th", "td")):
                paragraph = table.cell(r, c).paragraphs[0]
                paragraph._p.style = self.ids["Table Text"]
                align = cell.get("style", "").replace(" ", "").removeprefix("text-align:")
                if align in _ALIGN:
                    paragraph.alignment = _ALIGN[align]
                self.inline(paragraph, cell, frozenset({"strong"}) if cell.tag == "th" else frozenset())
        self.paragraph("Body Text")  # Word needs a paragraph between a table and what follows

    def inline(self, paragraph, el: ET.Element, marks: frozenset[str] = frozenset()) -> None:
        if el.text:
            self.run(paragraph, el.text.replace("\n", " "), _run_style(marks))
        for child in el:
            if child.tag == "br":
                paragraph.add_run().add_break()
            elif child.tag == "sup" and _is(child, "footnote-ref"):
                self.footnote(paragraph, child)
            elif child.tag not in ("ul", "ol", "p", "blockquote") and not _is(child, "footnote-backref"):
                mark = child.tag if child.tag in ("em", "strong", "sup", "code") else None
                self.inline(paragraph, child, marks | {mark} if mark else marks)
            if child.tail:
                self.run(paragraph, child.tail.replace("\n", " "), _run_style(marks))

    def footnote(self, paragraph, call: ET.Element) -> None:
        link = call.find("a")
        item = self.notes.pop((link.get("href", "") if link is not None else "").lstrip("#"), None)
        if item is None:
            return
        number, self.next_note = self.next_note, self.next_note + 1
        note = OxmlElement("w:footnote")
        note.set(qn("w:id"), str(number))
        self.footnotes.append(note)
        for i, block in enumerate([child for child in item if child.tag == "p"] or [item]):
            p = OxmlElement("w:p")
            note.append(p)
            text = Paragraph(p, None)
            p.style = self.ids["Footnote Text"]
            if i == 0:
                mark = text.add_run()
                mark._r.style = self.ids["Footnote Reference"]
                mark._r.append(OxmlElement("w:footnoteRef"))
                text.add_run(" ")
            self.fill(text, block)
        ref = paragraph.add_run()
        ref._r.style = self.ids["Footnote Reference"]
        ref._r.append(element("w:footnoteReference", id=str(number)))

    def attach_footnotes(self) -> None:
        """Adds the footnotes part (only when the book has notes)."""
        if self.next_note == 1:
            return
        part = XmlPart(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, self.footnotes, self.doc.part.package)
        self.doc.part.relate_to(part, RT.FOOTNOTES)

    def fill(self, paragraph, el: ET.Element) -> None:
        self.inline(paragraph, el)
        for t in reversed(paragraph._p.findall(f"{_R}/{_T}")):  # no trailing spaces at a paragraph's end
            text = (t.text or "").rstrip(" \n")
            if text != t.text:
                t.text = text
            if text:
                break
