"""The DOCX stylesheet and document settings: every look comes from a named style, none from direct formatting."""
from __future__ import annotations

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH as ALIGN
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.styles import BabelFish
from docx.styles.style import StyleFactory

# Trim size: page width, height, and margins top, outside, bottom, inside (mm).
PAGES = {
    "A5": (148, 210, 17, 15, 19, 20),
    "6x9": (152.4, 228.6, 18, 15, 19, 20),
    "letter": (215.9, 279.4, 23, 23, 25, 29),
    "A4": (210, 297, 24, 22, 26, 29),
}
# CT_Settings is a sequence: Word rejects a settings part whose children are out of order.
_SETTINGS_ORDER = (
    "writeProtection view zoom removePersonalInformation removeDateAndTime doNotDisplayPageBoundaries "
    "displayBackgroundShape printPostScriptOverText printFractionalCharacterWidth printFormsData embedTrueTypeFonts "
    "embedSystemFonts saveSubsetFonts saveFormsData mirrorMargins alignBordersAndEdges bordersDoNotSurroundHeader "
    "bordersDoNotSurroundFooter gutterAtTop hideSpellingErrors hideGrammaticalErrors activeWritingStyle proofState "
    "formsDesign attachedTemplate linkStyles stylePaneFormatFilter stylePaneSortMethod documentType mailMerge "
    "revisionView trackRevisions doNotTrackMoves doNotTrackFormatting documentProtection autoFormatOverride "
    "styleLockTheme styleLockQFSet defaultTabStop autoHyphenation consecutiveHyphenLimit hyphenationZone "
    "doNotHyphenateCaps showEnvelope summaryLength clickAndTypeStyle defaultTableStyle evenAndOddHeaders "
    "bookFoldRevPrinting bookFoldPrinting bookFoldPrintingSheets drawingGridHorizontalSpacing "
    "drawingGridVerticalSpacing displayHorizontalDrawingGridEvery displayVerticalDrawingGridEvery "
    "doNotUseMarginsForDrawingGridOrigin drawingGridHorizontalOrigin drawingGridVerticalOrigin doNotShadeFormData "
    "noPunctuationKerning characterSpacingControl printTwoOnOne strictFirstAndLastChars noLineBreaksAfter "
    "noLineBreaksBefore savePreviewPicture doNotValidateAgainstSchema saveInvalidXml ignoreMixedContent "
    "alwaysShowPlaceholderText doNotDemarcateInvalidXml saveXmlDataOnly useXSLTWhenSaving saveThroughXslt "
    "showXMLTags alwaysMergeEmptyNamespace updateFields hdrShapeDefaults footnotePr endnotePr compat docVars rsids "
    "mathPr attachedSchema themeFontLang clrSchemeMapping doNotIncludeSubdocsInStats doNotAutoCompressPictures "
    "forceUpgrade captions readModeInkLockDown smartTagType schemaLibrary shapeDefaults doNotEmbedSmartTags "
    "decimalSymbol listSeparator"
).split()
# name: (based on, size pt, align, first-line indent mm, italic, bold, space before pt, space after pt)
_STYLES = {
    "Normal": (None, 11, None, None, None, None, 0, 0),
    "Body Text": ("Normal", None, ALIGN.JUSTIFY, 5, None, None, 0, 0),
    "First Paragraph": ("Body Text", None, None, 0, None, None, None, None),
    "Cover": ("Normal", None, ALIGN.CENTER, 0, None, None, 0, 0),
    "Title": ("Normal", 26, ALIGN.CENTER, 0, None, False, 90, 12),
    "Subtitle": ("Normal", 14, ALIGN.CENTER, 0, True, False, 0, 36),
    "Author": ("Normal", 12, ALIGN.CENTER, 0, None, None, 0, 60),
    "Copyright": ("Normal", 8.5, ALIGN.LEFT, 0, None, None, 0, 4),
    "Credit": ("Copyright", None, None, None, None, None, 0, 4),
    "Heading 1": ("Normal", 20, ALIGN.CENTER, 0, False, False, 0, 36),
    "Chapter Label": ("Normal", 9, ALIGN.CENTER, 0, False, False, 90, 6),
    "Heading 2": ("Normal", 13, ALIGN.LEFT, 0, False, True, 18, 6),
    "Heading 3": ("Normal", 12, ALIGN.LEFT, 0, True, True, 12, 4),
    "Heading 4": ("Normal", 11, ALIGN.LEFT, 0, True, False, 12, 4),
    "TOC Heading": ("Normal", 16, ALIGN.CENTER, 0, False, False, 24, 18),
    "toc 1": ("Normal", None, ALIGN.LEFT, 0, None, None, 0, 4),
    "Quote": ("Normal", 10.5, ALIGN.JUSTIFY, 0, True, None, 6, 6),
    "Scene Break": ("Normal", None, ALIGN.CENTER, 0, None, None, 9, 9),
    "Code Block": ("Normal", 9, ALIGN.LEFT, 0, None, None, 4, 4),
    "Note": ("Normal", 9, ALIGN.LEFT, 0, None, None, 0, 2),
    "Header": ("Normal", 8.5, ALIGN.CENTER, 0, True, None, None, None),
    "Table Text": ("Normal", 9.5, ALIGN.LEFT, 0, None, None, 1, 1),
    "Footnote Text": ("Normal", 9, ALIGN.LEFT, 0, None, None, 0, 2),
    "TOC Note": ("Normal", 8, ALIGN.LEFT, 0, True, None, 18, 0),
    "Footer": ("Normal", 9, ALIGN.CENTER, 0, None, None, None, None),
}
# Character styles for inline markup: a run carries a style, never bold/italic of its own.
_RUN_STYLES = {"Emphasis": (True, None, False), "Strong": (None, True, False),
               "Strong Emphasis": (True, True, False), "Note Reference": (None, None, True),
               "Footnote Reference": (None, None, True), "Code": (None, None, False)}
# Levels 4 and 5 of nested lists: the stock template stops at 3.
_DEEP_LISTS = {f"{kind} {level}": (f"{kind} 3", 6.35 * level) for kind in ("List Bullet", "List Number")
               for level in (4, 5)}


def element(tag: str, **attrs: str):
    el = OxmlElement(tag)
    for key, value in attrs.items():
        el.set(qn(f"w:{key}"), value)
    return el


def set_setting(doc, tag: str, **attrs: str) -> None:
    """Adds `<w:tag>` to settings.xml at its schema position (replacing one already there)."""
    settings = doc.settings.element
    for old in settings.findall(qn(f"w:{tag}")):
        settings.remove(old)
    after = set(_SETTINGS_ORDER[_SETTINGS_ORDER.index(tag) + 1:])
    w = qn("w:x")[:-1]  # "{namespace}": children in other namespaces (w14, w15) come last
    later = next((el for el in settings if not el.tag.startswith(w) or el.tag[len(w):] in after), None)
    new = element(f"w:{tag}", **attrs)
    settings.insert(settings.index(later), new) if later is not None else settings.append(new)


class _StylesByName:
    """The document's styles by name, read once; `get` adds a style that is missing."""

    def __init__(self, styles):
        self.styles = styles
        self.by_name = {style.name: style for style in styles}

    def __getitem__(self, name: str):
        return self.by_name[name]

    def get(self, name: str, kind):
        """The style called `name`, added when missing (without add_style's scan for a duplicate name)."""
        if name not in self.by_name:
            element = self.styles.element.add_style_of_type(BabelFish.ui2internal(name), kind, False)
            self.by_name[name] = StyleFactory(element)
        return self.by_name[name]


def define_styles(doc, font: str, heading_font: str, language: str) -> None:
    """Book styles; theme fonts, colours, borders and numbering of the stock template are dropped."""
    styles = _StylesByName(doc.styles)  # python-docx finds a style by name with an XPath scan each time
    for name, (based_on, size, align, indent, italic, bold, before, after) in _STYLES.items():
        style = styles.get(name, WD_STYLE_TYPE.PARAGRAPH)
        if based_on:
            style.base_style = styles[based_on]
        for tag in ("w:rFonts", "w:color", "w:spacing", "w:sz", "w:szCs"):
            for el in style.element.findall(f"{qn('w:rPr')}/{qn(tag)}"):
                el.getparent().remove(el)
        for tag in ("w:pBdr", "w:numPr", "w:keepNext", "w:keepLines"):
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
        if name.startswith(("Heading", "TOC", "Chapter")) or name in ("Title", "Subtitle", "Author"):
            style.font.color.rgb = RGBColor(0x11, 0x11, 0x11)
            style.font.name = heading_font if name != "Title" else None
        if name.startswith("Heading"):
            fmt.keep_with_next = True
    for name, (italic, bold, sup) in _RUN_STYLES.items():
        style = styles.get(name, WD_STYLE_TYPE.CHARACTER)
        style.font.italic, style.font.bold, style.font.superscript = italic, bold, sup or None
    for name, (based_on, indent_mm) in _DEEP_LISTS.items():
        style = styles.get(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles[based_on]
        style.paragraph_format.left_indent = Mm(indent_mm)
    styles["Code"].font.name = "DejaVu Sans Mono"
    normal = styles["Normal"]
    normal.font.name = font
    normal.element.get_or_add_rPr().append(element("w:lang", val=language or "en"))
    fmt = styles["Body Text"].paragraph_format
    fmt.widow_control, fmt.line_spacing = True, 1.15
    styles["Author"].font.all_caps = True
    styles["Chapter Label"].font.all_caps = True
    styles["Code Block"].font.name = "DejaVu Sans Mono"
    for name in ("Body Text", "First Paragraph", "Quote"):
        styles[name].next_paragraph_style = styles["Body Text"]
