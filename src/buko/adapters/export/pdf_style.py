"""The print stylesheet: trim sizes, mirrored margins on a baseline grid, recto openers, running heads, folios.

Every vertical distance in the text block is a whole number of grid lines (the body's line height), and the
text block is a whole number of lines tall, so lines sit at the same height on facing pages. Measures are set
for 60-70 characters a line at the trim's type size.
"""
from __future__ import annotations

from dataclasses import dataclass

from buko.adapters.export import fonts, hyphenation

_MM = 72 / 25.4
_IN = 72.0


@dataclass(frozen=True)
class Trim:
    """A page size (pt) with its margins (top, outside, minimum bottom, inside; pt) and body type size."""

    width: float
    height: float
    margins: tuple[float, float, float, float]
    font_pt: float

    @property
    def line(self) -> float:
        """The baseline grid: body line height in points, rounded to a quarter point."""
        return round(self.font_pt * 1.34 * 4) / 4

    @property
    def lines(self) -> int:
        """Lines in a full text block."""
        top, _, bottom, _ = self.margins
        return int((self.height - top - bottom) // self.line)

    @property
    def bottom(self) -> float:
        """The bottom margin that makes the text block exactly `lines` lines tall."""
        return self.height - self.margins[0] - self.lines * self.line

    @property
    def measure(self) -> float:
        return self.width - self.margins[1] - self.margins[3]


TRIMS = {
    "A5": Trim(148 * _MM, 210 * _MM, (17 * _MM, 22 * _MM, 19 * _MM, 25 * _MM), 11),
    "6x9": Trim(6 * _IN, 9 * _IN, (0.7 * _IN, 0.85 * _IN, 0.75 * _IN, 0.95 * _IN), 11.5),
    "letter": Trim(8.5 * _IN, 11 * _IN, (0.9 * _IN, 1.45 * _IN, 1 * _IN, 1.7 * _IN), 13),
    "A4": Trim(210 * _MM, 297 * _MM, (24 * _MM, 38 * _MM, 26 * _MM, 44 * _MM), 13),
}
BLEED_PT = 3 * _MM

_CSS = """
@page { size: %(width).2fpt %(height).2fpt; margin: %(top).2fpt %(outside).2fpt %(bottom).2fpt %(inside).2fpt;
  %(print)s
  @bottom-center { content: counter(page); font: 8.5pt %(sans)s; color: #444; vertical-align: top;
    padding-top: %(half).2fpt; width: 100%%; } }
@page :left { margin-left: %(outside).2fpt; margin-right: %(inside).2fpt;
  @top-center { content: string(book); %(head)s } }
@page :right { margin-left: %(inside).2fpt; margin-right: %(outside).2fpt;
  @top-center { content: string(chapter, first-except); %(head)s } }
@page :blank { @top-center { content: none } @bottom-center { content: none } }
@page cover { margin: 0; @top-center { content: none } @bottom-center { content: none } }
@page front { @top-center { content: none } @bottom-center { content: none } }
@page contents { @top-center { content: none } }
html { font-family: %(serif)s; font-size: %(font_pt)spt; line-height: %(lh)spt; color: #111; }
body { margin: 0; hyphens: manual; overflow-wrap: anywhere; }
p, li, td, th { %(hyphens)s }
.nohy, h1, h2, h3, h4, pre, code, .toc li, .title-page p, .copyright p, .footnote { hyphens: manual; }
.cover { page: cover; margin: 0; }
.cover img { display: block; width: %(width).2fpt; height: %(height).2fpt; object-fit: cover; }
.title-page, .toc { break-before: right; }
.copyright { break-before: left; }
.title-page, .copyright { page: front; }
.toc { page: contents; }
.title-page { padding-top: %(title_top).2fpt; }
.title-page p { text-align: center; text-indent: 0; }
.book-title { font-size: 2.2em; line-height: %(lh2)spt; margin: 0 0 %(lh)spt; bookmark-level: 1;
  bookmark-label: attr(data-title); }
.subtitle { font-size: 1.2em; line-height: %(lh)spt; font-style: italic; margin: 0 0 %(lh3)spt; }
.author { font: 0.95em %(sans)s; line-height: %(lh)spt; letter-spacing: 0.14em; text-transform: uppercase; }
.copyright { font-size: 0.8em; line-height: %(lh_small)spt; color: #333; height: %(block).2fpt; position: relative; }
.copyright-text { position: absolute; left: 0; right: 0; bottom: 0; }
.copyright p { margin: 0 0 %(lh_small)spt; text-indent: 0; text-align: left; }
.toc h2 { font: 1.4em %(sans)s; line-height: %(lh2)spt; text-align: center; margin: 0 0 %(lh)spt; bookmark-level: 1; }
.toc ol { list-style: none; padding: 0; margin: 0; }
.toc li { margin: 0 0 %(half).2fpt; text-align: left; padding-left: 2.2em; text-indent: -2.2em; }
.toc .toc-number { display: inline-block; width: 2.2em; text-indent: 0; color: #555; font: 0.85em %(sans)s; }
.toc a { color: inherit; text-decoration: none; }
.toc a::after { content: leader(". ") target-counter(attr(href), page); font-variant-numeric: lining-nums tabular-nums; }
.toc a[data-page]::after { content: leader(". ") attr(data-page); }
.chapter { break-before: right; padding-top: %(opener).2fpt; counter-reset: footnote; }
.chapter-number { font: 0.75em %(sans)s; line-height: %(lh)spt; text-align: center; letter-spacing: 0.25em;
  text-transform: uppercase; margin: 0 0 %(lh)spt; text-indent: 0; color: #555; }
h1 { font: 1.6em %(sans)s; line-height: %(lh2)spt; text-align: center; margin: 0 0 %(lh3)spt;
  bookmark-level: 1; bookmark-label: attr(data-title); }
h2, h3, h4 { font-family: %(sans)s; font-weight: normal; line-height: %(lh)spt; margin: %(lh)spt 0 0;
  break-after: avoid; bookmark-level: none; text-align: left; }
h2 { font-size: 1.1em; } h3 { font-size: 1em; } h4 { font-size: 1em; font-style: italic; }
p { margin: 0; text-align: justify; orphans: 2; widows: 2; }
p + p, blockquote + p, ul + p, ol + p { text-indent: 1.2em; }
hr.scene-break { border: none; margin: 0; height: %(lh2)spt; text-align: center; break-after: avoid; }
hr.scene-break::after { content: "*\\2003*\\2003*"; line-height: %(lh2)spt; }
blockquote { margin: %(lh)spt 1.6em; font-style: italic; }
ul, ol { margin: 0; padding-left: 1.6em; }
li ul, li ol { padding-left: 1.2em; }
pre, code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.82em; }
pre { white-space: pre-wrap; margin: %(lh)spt 0; line-height: %(lh)spt; }
table { border-collapse: collapse; width: 100%%; margin: %(lh)spt 0; font-size: 0.9em; line-height: %(lh)spt;
  break-inside: auto; }
th, td { padding: 0 0.4em; text-align: left; vertical-align: top; text-indent: 0; }
th { font-weight: bold; font-family: %(sans)s; font-size: 0.9em; }
thead { display: table-header-group; }
thead th { border-bottom: 0.5pt solid #777; }
a { color: inherit; text-decoration: none; }
.footnote { float: footnote; font-size: 0.8em; line-height: %(lh_small)spt; text-align: left; text-indent: 0; }
.footnote::footnote-call { content: counter(footnote); font-size: 0.7em; vertical-align: super; line-height: 0; }
.footnote::footnote-marker { content: counter(footnote) ". "; }
@page { @footnote { border-top: 0.5pt solid #999; padding-top: 2pt; margin-top: %(half).2fpt; } }
section.footnotes, hr.footnotes-sep { display: none; }
sup { line-height: 0; }
.keep { white-space: nowrap; }
"""


def stylesheet(trim_size: str, print_ready: bool = False) -> str:
    """The CSS for one trim size, with the fonts found on this machine (bleed and crop marks when print-ready)."""
    trim = TRIMS[trim_size]
    top, outside, _, inside = trim.margins
    lh = trim.line
    sans = fonts.css_stack(fonts.sans(), "sans-serif")
    serif = fonts.css_stack(fonts.serif(), "serif")
    return _CSS % {
        "width": trim.width, "height": trim.height, "top": top, "outside": outside, "bottom": trim.bottom,
        "inside": inside, "font_pt": trim.font_pt, "serif": serif, "sans": sans,
        "lh": lh, "lh2": 2 * lh, "lh3": 3 * lh, "half": lh / 2, "lh_small": round(lh * 0.8 * 4) / 4,
        "block": trim.lines * lh - 1, "opener": 5 * lh, "title_top": 8 * lh,
        "hyphens": hyphenation.CSS,
        "print": f"bleed: {BLEED_PT:.2f}pt; marks: crop;" if print_ready else "",
        # A full-width centre box: WeasyPrint then skips measuring the margin boxes' content on every page.
        "head": f"font: italic 8pt {serif}; color: #555; letter-spacing: 0.04em; "
                f"vertical-align: bottom; padding-bottom: {lh / 2:.2f}pt; width: 100%;",
    }
