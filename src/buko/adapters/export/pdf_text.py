"""Lines drawn from the Pango layouts they were measured with, not set and shaped a second time.

WeasyPrint (70) measures each line of text with a Pango layout, frees it, and when it draws the page builds a
new layout for the same line and has Pango itemize and shape it again; a justified line even gets a third
one, made when the line is justified and shaped only when drawn, whose only difference is the extra width
given to each space. That second shaping of every line is about a tenth of the time a book takes
(bench/README.md, "export.py").

Wrapped here (small wrappers of `weasyprint.text.line_break.Layout` and of `weasyprint.layout.inline
.add_word_spacing`, active in every process that imports this module):

- a layout of plain text (no spacing properties, no tabs, no paragraph separators) is kept when WeasyPrint
  is done measuring it, up to MAX_KEPT layouts in the process (beyond that WeasyPrint's own behaviour: a
  book of hundreds of thousands of lines in one process must not hold every layout at once);
- justifying a line whose layout is kept gives that layout the line's extra space instead of a new layout;
- drawing a kept layout adds the extra space to the advance of each space (U+0020 and U+00A0, the
  characters WeasyPrint widens) in the glyphs already shaped, which puts every visible glyph where
  WeasyPrint's second shaping would have put it; the layout is then freed as WeasyPrint frees it.

Anything else (right-to-left runs, word or letter spacing, text that changed since it was measured, a layout
already drawn) goes through WeasyPrint's own code. Single-paragraph mode, which WeasyPrint turns on when it
draws (and which would make Pango lay the line out again), is turned on when the text is set instead: for
text without paragraph separators it changes nothing in the layout.

A third saving is in WeasyPrint's line breaking (`split_first_line`): after Pango breaks a draft of the
paragraph, WeasyPrint sets the line plus the next word again to see whether that word would still fit (it
almost never does: Pango just broke before it). When the draft already shows that the line's visible text and
that word, even without the space between them, are wider than the line by more than PREDICT_MARGIN, the
layout keeps its draft: Pango would break the shorter text at the same place, so its first line and the
start of its second are the draft's (the layout's next `set_text` replaces it; it is never kept or drawn).

Also here: the strut (line height and baseline of a style) and the Pango font description of a style are
computed once per style object, where WeasyPrint computes them again for every line.
"""
from __future__ import annotations

import re
import weakref

from weasyprint.css import computed_values as wp_computed_values
from weasyprint.css import units as wp_units
from weasyprint.formatting_structure import boxes
from weasyprint.layout import inline as wp_inline
from weasyprint.text import line_break as wp_line_break
from weasyprint.text.ffi import TO_UNITS, ffi, pango

MAX_KEPT = 15_000  # layouts kept at once in a process (~10 KB each: a 150,000-word book in one process, 14,700)
PREDICT_MARGIN = 2.0  # points: a space and any kerning next to it are narrower than a space plus this
_SEPARATORS = re.compile("[\n\r\t\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_SPACES = re.compile(" |\u00a0".encode())  # what WeasyPrint widens to justify a line


ENABLED = True  # False: WeasyPrint's own behaviour throughout (tests compare both)
PREDICT = True  # False: every "does the next word fit" text is set and laid out (tests compare both)
_kept: weakref.WeakSet = weakref.WeakSet()  # layouts kept and not yet drawn (a dropped box's go with it)
# lines drawn from their kept layout / set and shaped again; next-word texts answered from the draft
stats = {"drawn_kept": 0, "drawn_again": 0, "predicted": 0}

ffi.cdef("void pango_layout_line_index_to_x (PangoLayoutLine *line, int index_, gboolean trailing, int *x_pos);",
         override=True)  # not among WeasyPrint's declarations
try:
    _pango_x = ffi.dlopen("libpango-1.0.so.0").pango_layout_line_index_to_x
except (OSError, AttributeError):  # another system's library name: every next-word text is set and laid out
    PREDICT = False


_Layout = wp_line_break.Layout
_set_text = _Layout.set_text
_deactivate = _Layout.deactivate
_reactivate = _Layout.reactivate
_add_word_spacing = wp_inline.add_word_spacing


def _plain(style) -> bool:
    """Whether text in this style is drawn from its kept layout: no spacing of its own to re-apply."""
    return style["letter_spacing"] == "normal" and not style["word_spacing"]


def _set_text_single(self, text, justify=False):
    if PREDICT and ENABLED and not justify and _breaks_as_drafted(self, text):
        self.text = text  # Pango keeps the draft: same first line, same start of the second (module's doc)
        self._buko_draft = True
        stats["predicted"] += 1
        return
    _set_text(self, text, justify)
    self._buko_draft = False
    self._buko_single = False
    if ENABLED and not justify and self.text != " " and not _SEPARATORS.search(self.text):
        pango.pango_layout_set_single_paragraph_mode(self.layout, True)
        self._buko_single = True


def _breaks_as_drafted(layout, text: str) -> bool:
    """Whether `text`, a beginning of the layout's current (single-paragraph, plain, left-to-right) text that
    goes past its first line and ends within its second, would be broken where the current text is: its part
    on the second line, laid after the first line's visible text, already overflows by PREDICT_MARGIN."""
    if (not getattr(layout, "_buko_single", False) or getattr(layout, "_buko_draft", False)
            or not (layout.max_width or 0) > 0 or not hasattr(layout, "layout") or len(text) >= len(layout.text)
            or not layout.text.startswith(text) or not _plain(layout.style) or "\t" in text):
        return False
    first = pango.pango_layout_get_line_readonly(layout.layout, 0)
    second = pango.pango_layout_get_line_readonly(layout.layout, 1)
    if first == ffi.NULL or second == ffi.NULL or first.resolved_dir != pango.PANGO_DIRECTION_LTR:
        return False
    encoded = text.encode()
    start, end = second.start_index, len(encoded)
    visible = len(encoded[:start].rstrip(b" "))
    if not (start < end <= start + second.length) or not visible or _right_to_left(first, second):
        return False
    x = ffi.new("int *")
    _pango_x(first, _last_character(encoded, visible), True, x)
    line_end = x[0]
    _pango_x(second, _last_character(encoded, end), True, x)
    word_end = x[0]
    _pango_x(second, start, False, x)
    return line_end + word_end - x[0] > (layout.max_width + PREDICT_MARGIN) * TO_UNITS


def _last_character(encoded: bytes, end: int) -> int:
    """The byte index where the UTF-8 character ending at byte `end` starts."""
    index = end - 1
    while index > 0 and encoded[index] & 0xC0 == 0x80:
        index -= 1
    return index


def _right_to_left(*lines) -> bool:
    for line in lines:
        run = line.runs
        while run != ffi.NULL:
            if run.data.item.analysis.level % 2:
                return True
            run = run.next
    return False


def _deactivate_keep(self):
    """Keeps a measured layout for drawing (see the module's doc); frees it once drawn, or when not plain."""
    if (ENABLED and not getattr(self, "_buko_drawing", False) and getattr(self, "_buko_single", False)
            and not getattr(self, "_buko_draft", False)
            and hasattr(self, "layout") and _plain(self.style) and (self in _kept or len(_kept) < MAX_KEPT)):
        _kept.add(self)
        return
    _release(self)


def _release(self) -> None:
    _kept.discard(self)
    self._buko_drawing = self._buko_single = self._buko_draft = False
    if hasattr(self, "layout"):
        _deactivate(self)


def _reactivate_kept(self, style):
    """Draws from the kept layout when it can (widening its spaces by the justification), else as WeasyPrint."""
    if self in _kept and hasattr(self, "layout") and style is self.style:
        if _widen_spaces(self, int(self.justification_spacing * TO_UNITS)):
            _kept.discard(self)
            self._buko_drawing = True
            stats["drawn_kept"] += 1
            return
    if hasattr(self, "layout"):
        _release(self)
    _reactivate(self, style)
    self._buko_drawing = True
    stats["drawn_again"] += 1


def _widen_spaces(layout, spacing: int) -> bool:
    """Adds `spacing` (Pango units) to the advance of every space of the layout's one line; False (nothing
    changed) when the layout has more than one line or a right-to-left run."""
    line = pango.pango_layout_get_line_readonly(layout.layout, 0)
    if line == ffi.NULL or pango.pango_layout_get_line_readonly(layout.layout, 1) != ffi.NULL:
        return False
    runs = []
    run = line.runs
    while run != ffi.NULL:
        glyph_item = run.data
        if glyph_item.item.analysis.level % 2:
            return False
        runs.append(glyph_item)
        run = run.next
    if not spacing:
        return True
    wanted = {match.start() for match in _SPACES.finditer(layout.text.encode())}
    if not wanted:
        return True
    for glyph_item in runs:
        offset, glyphs = glyph_item.item.offset, glyph_item.glyphs
        clusters = ffi.unpack(glyphs.log_clusters, glyphs.num_glyphs)
        previous = None
        for i, cluster in enumerate(clusters):
            if cluster != previous and offset + cluster in wanted:
                glyphs.glyphs[i].geometry.width += spacing
            previous = cluster
    return True


def _add_word_spacing_kept(context, box, justification_spacing, x_advance):
    """As WeasyPrint's, but a text box whose measured layout is kept keeps it (with the line's extra space)."""
    layout = getattr(box, "pango_layout", None)
    if (isinstance(box, boxes.TextBox) and layout is not None and layout in _kept and hasattr(layout, "layout")
            and layout.text == box.text):
        box.justification_spacing = justification_spacing
        box.position_x += x_advance
        spaces = box.text.count(" ") + box.text.count("\u00a0")
        if spaces > 0:
            layout.justification_spacing = justification_spacing
            extra = justification_spacing * spaces
            x_advance += extra
            box.width += extra
        return x_advance
    return _add_word_spacing(context, box, justification_spacing, x_advance)


def _per_style(function):
    """`function(style)` computed once per style object (WeasyPrint computes a style's values once and never
    changes them; a modified copy is a new object). WeasyPrint recomputes these per line: the strut builds a
    string key of 16 values to find its cached answer, the font description is a new Pango object each time."""
    attribute = f"_buko_{function.__name__}"

    def cached(style):
        memo = getattr(style, "__dict__", None)
        if memo is None:  # not one of WeasyPrint's style objects (a plain dict): nothing to keep it on
            return function(style)
        found = memo.get(attribute)
        if found is None:
            found = memo[attribute] = function(style)
        return found

    cached.__wrapped__ = function
    return cached


_Layout.set_text = _set_text_single
_Layout.deactivate = _deactivate_keep
_Layout.reactivate = _reactivate_kept
wp_inline.add_word_spacing = _add_word_spacing_kept
_strut = _per_style(wp_line_break.strut)
for _module in (wp_line_break, wp_inline, wp_units, wp_computed_values):
    _module.strut = _strut
wp_line_break.get_font_description = _per_style(wp_line_break.get_font_description)
