"""Chapter XHTML -> DOCX paragraphs and runs, each carrying a style id and no direct formatting."""
from __future__ import annotations

import xml.etree.ElementTree as ET

_HEADINGS = {"h2": "Heading 2", "h3": "Heading 3", "h4": "Heading 4"}


def _run_style(marks: frozenset[str]) -> str | None:
    if "sup" in marks:
        return "Note Reference"
    if {"em", "strong"} <= marks:
        return "Strong Emphasis"
    return "Emphasis" if "em" in marks else "Strong" if "strong" in marks else None


class BodyWriter:
    """Appends chapter content to one document; style ids are looked up once, not per paragraph."""

    def __init__(self, doc):
        self.doc = doc
        self.ids = {style.name: style.style_id for style in doc.styles}

    def paragraph(self, style: str, text: str = ""):
        paragraph = self.doc.add_paragraph(text)
        paragraph._p.style = self.ids[style]
        return paragraph

    def run(self, paragraph, text: str, style: str | None = None):
        run = paragraph.add_run(text)
        if style:
            run._r.style = self.ids[style]
        return run

    def blocks(self, parent: ET.Element, style: str) -> None:
        opening = True
        for el in parent:
            tag, cls = el.tag, el.get("class", "")
            if tag == "p":
                self.fill(self.paragraph("First Paragraph" if opening and style == "Body Text" else style), el)
            elif tag in _HEADINGS:
                self.paragraph(_HEADINGS[tag], " ".join("".join(el.itertext()).split()))
            elif tag == "hr" and "scene-break" in cls:
                self.paragraph("Scene Break", "* * *")
            elif tag == "blockquote":
                self.blocks(el, "Quote")
            elif tag in ("ul", "ol"):
                self.list(el, "Note" if "footnotes" in cls else "List Number" if tag == "ol" else "List Bullet")
            elif tag == "pre":
                paragraph = self.paragraph("Code Block")
                for i, line in enumerate("".join(el.itertext()).rstrip("\n").split("\n")):
                    if i:
                        paragraph.add_run().add_break()
                    paragraph.add_run(line)
            elif tag != "hr":
                self.blocks(el, style)
            opening = tag in _HEADINGS or tag == "hr"

    def list(self, el: ET.Element, style: str, depth: int = 1) -> None:
        for number, item in enumerate(el, start=1):
            for i, block in enumerate([child for child in item if child.tag == "p"] or [item]):
                paragraph = self.paragraph(style)
                if style == "Note" and i == 0:
                    paragraph.add_run(f"{number}. ")
                self.fill(paragraph, block)
            for nested in (child for child in item if child.tag in ("ul", "ol") and depth < 3):
                kind = "List Number" if nested.tag == "ol" else "List Bullet"
                self.list(nested, f"{kind} {depth + 1}", depth + 1)

    def inline(self, paragraph, el: ET.Element, marks: frozenset[str] = frozenset()) -> None:
        if el.text:
            self.run(paragraph, el.text.replace("\n", " "), _run_style(marks))
        for child in el:
            if child.tag == "br":
                paragraph.add_run().add_break()
            elif child.tag not in ("ul", "ol", "p", "blockquote") and "footnote-backref" not in child.get("class", ""):
                self.inline(paragraph, child, marks | {child.tag} if child.tag in ("em", "strong", "sup") else marks)
            if child.tail:
                self.run(paragraph, child.tail.replace("\n", " "), _run_style(marks))

    def fill(self, paragraph, el: ET.Element) -> None:
        self.inline(paragraph, el)
        for run in reversed(paragraph.runs):
            text = run.text.rstrip(" \n")
            if text != run.text:
                run.text = text
            if text:
                break
