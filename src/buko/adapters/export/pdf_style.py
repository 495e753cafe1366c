"""The print stylesheet: trim sizes, mirrored margins, recto openers, running heads, folios."""
from __future__ import annotations

from dataclasses import dataclass

from buko.adapters.export import fonts


@dataclass(frozen=True)
class Trim:
    """A page size with its margins (top, outside, bottom, inside) and body type size."""

    width: str
    height: str
    margins: tuple[str, str, str, str]
    font_pt: float


TRIMS = {
    "A5": Trim("148mm", "210mm", ("17mm", "15mm", "19mm", "20mm"), 10.5),
    "6x9": Trim("6in", "9in", ("0.7in", "0.6in", "0.75in", "0.8in"), 10.5),
    "letter": Trim("8.5in", "11in", ("0.9in", "0.9in", "1in", "1.15in"), 11.5),
    "A4": Trim("210mm", "297mm", ("24mm", "22mm", "26mm", "29mm"), 11.5),
}

_CSS = """
@page { size: %(width)s %(height)s; margin: %(top)s %(outside)s %(bottom)s %(inside)s;
  @bottom-center { content: counter(page); font: 8.5pt %(sans)s; color: #444; } }
@page :left { margin-left: %(outside)s; margin-right: %(inside)s;
  @top-center { content: string(book); %(head)s } }
@page :right { margin-left: %(inside)s; margin-right: %(outside)s;
  @top-center { content: string(chapter, first-except); %(head)s } }
@page :blank { @top-center { content: none } @bottom-center { content: none } }
@page cover { margin: 0; @top-center { content: none } @bottom-center { content: none } }
@page front { @top-center { content: none } @bottom-center { content: none } }
@page contents { @top-center { content: none } }
html { font-family: %(serif)s; font-size: %(font_pt)spt; line-height: 1.4; color: #111; }
body { margin: 0; hyphens: auto; }
.cover { page: cover; margin: 0; }
.cover img { display: block; width: %(width)s; height: %(height)s; object-fit: cover; }
.title-page, .toc { break-before: right; }
.copyright { break-before: left; }
.title-page, .copyright { page: front; }
.toc { page: contents; }
.title-page { padding-top: 28%%; }
.title-page p { text-align: center; text-indent: 0; hyphens: manual; }
.book-title { font-size: 2.4em; line-height: 1.15; margin: 0 0 6mm; bookmark-level: 1;
  bookmark-label: content(text); string-set: book content(text); }
.subtitle { font-size: 1.2em; font-style: italic; margin: 0 0 20mm; }
.author { font: 0.95em %(sans)s; letter-spacing: 0.14em; text-transform: uppercase; }
.copyright { font-size: 0.8em; padding-top: 70%%; color: #333; }
.copyright p { margin: 0 0 2mm; text-indent: 0; text-align: left; hyphens: manual; }
.toc h2 { font: 1.4em %(sans)s; text-align: center; margin: 8mm 0 8mm; bookmark-level: 1; }
.toc ol { list-style: none; padding: 0; margin: 0; }
.toc li { margin: 0 0 2.4mm; text-align: left; hyphens: manual; }
.toc .toc-number { display: inline-block; width: 2.2em; color: #555; font: 0.85em %(sans)s; }
.toc a { color: inherit; text-decoration: none; }
.toc a::after { content: leader(". ") target-counter(attr(href), page); font-variant-numeric: lining-nums tabular-nums; }
.chapter { break-before: right; padding-top: 18%%; counter-reset: footnote; }
.chapter-number { font: 0.75em %(sans)s; text-align: center; letter-spacing: 0.25em; text-transform: uppercase;
  margin: 0 0 3mm; text-indent: 0; color: #555; }
h1 { font: 1.75em/1.2 %(sans)s; text-align: center; margin: 0 0 12mm; string-set: chapter content(text);
  hyphens: manual; bookmark-level: 1; }
h2, h3, h4 { font-family: %(sans)s; font-weight: normal; margin: 5mm 0 2mm; break-after: avoid;
  bookmark-level: none; hyphens: manual; text-align: left; }
h2 { font-size: 1.15em; } h3 { font-size: 1.05em; } h4 { font-size: 1em; font-style: italic; }
p { margin: 0; text-align: justify; orphans: 2; widows: 2; }
p + p, blockquote + p, ul + p, ol + p { text-indent: 1.2em; }
hr.scene-break { border: none; margin: 3mm 0; height: 1.4em; text-align: center; break-after: avoid; }
hr.scene-break::after { content: "*\\2003*\\2003*"; }
blockquote { margin: 3mm 7mm; font-size: 0.95em; }
ul, ol { margin: 2mm 0; padding-left: 6mm; }
pre, code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.8em; }
pre { white-space: pre-wrap; margin: 3mm 0; }
a { color: inherit; text-decoration: none; }
.footnote { float: footnote; font-size: 0.8em; text-align: left; text-indent: 0; hyphens: manual; }
.footnote::footnote-call { content: counter(footnote); font-size: 0.7em; vertical-align: super; line-height: 0; }
.footnote::footnote-marker { content: counter(footnote) ". "; }
@page { @footnote { border-top: 0.5pt solid #999; padding-top: 1.5mm; margin-top: 3mm; } }
section.footnotes, hr.footnotes-sep { display: none; }
sup { line-height: 0; }
.keep { white-space: nowrap; }
"""


def stylesheet(trim_size: str) -> str:
    """The CSS for one trim size, with the fonts found on this machine."""
    trim = TRIMS[trim_size]
    top, outside, bottom, inside = trim.margins
    sans = fonts.css_stack(fonts.sans(), "sans-serif")
    return _CSS % {
        "width": trim.width, "height": trim.height, "top": top, "outside": outside, "bottom": bottom,
        "inside": inside, "font_pt": trim.font_pt, "serif": fonts.css_stack(fonts.serif()), "sans": sans,
        "head": f"font: italic 8pt {fonts.css_stack(fonts.serif())}; color: #555; letter-spacing: 0.04em;",
    }
