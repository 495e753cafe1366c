"""A line's glyphs written to the PDF content stream without a Python object per glyph.

WeasyPrint (70) writes a line of text glyph by glyph in Python (`weasyprint.draw.text.draw_first_line`): for
each glyph cffi builds a struct object and a nested geometry object, and the glyph's hex code, its position
adjustment and its kerning are appended to a growing string. That loop was 6 % of a book's render (py-spy,
one process; bench/README.md, "export.py").

Here the same line is written from the glyph array read as plain integers (`PangoGlyphInfo` is five 32-bit
fields: glyph, width, x offset, y offset, attributes), each glyph's piece of the operator (its code, with its
position adjustment and kerning) looked up by (glyph, width, x offset) among the pieces already made for the
font at that size, and the pieces joined once; a glyph seen for the first time is recorded in the font (its
text and width) as WeasyPrint records it. The operators written are WeasyPrint's own, character for
character (the tests compare whole PDFs byte for byte). Only lines that need nothing but that are taken:
anything else goes to WeasyPrint's function unchanged, decided before a single byte is written — a text
overflow or block ellipsis, a glyph no font has, a glyph raised or lowered (y offset), a bitmap, SVG, PNG or
COLR (colour emoji) font. With the pieces kept, this is 341 M fewer instructions than WeasyPrint's loop on
the 2-chapter book of bench/export_instructions.py.

Active in every process that imports this module; `ENABLED = False` restores WeasyPrint's behaviour.
"""
from __future__ import annotations

from weasyprint.draw import text as wp_draw_text
from weasyprint.text.ffi import FROM_UNITS, ffi, pango

ENABLED = True
stats = {"fast": 0, "weasyprint": 0}  # lines written here / by WeasyPrint's own loop

_INFO = ffi.sizeof("PangoGlyphInfo")
_FIELDS = _INFO // 4  # glyph, width, x_offset, y_offset, attr
_EMPTY = pango.PANGO_GLYPH_EMPTY
_UNKNOWN = pango.PANGO_GLYPH_UNKNOWN_FLAG
_OLD_PANGO = pango.pango_version() < 14802  # WeasyPrint's workaround for Pango issue 530 (font size)
_draw_first_line = wp_draw_text.draw_first_line


def _runs(stream, first_line):
    """The line's runs as (glyph item, its integers, font, font size, new font?); None if a run needs
    WeasyPrint's own loop. Fonts are added to the stream in WeasyPrint's order (it adds them the same way)."""
    runs, previous = [], None
    run = first_line.runs
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        glyphs = glyph_item.glyphs
        count = glyphs.num_glyphs
        pango_font = glyph_item.item.analysis.font
        changed = pango_font != previous
        if changed:
            previous = pango_font
            font, font_size = stream.add_font(pango_font)
            if font.bitmap or font.svg or font.png or font.colr:
                return None
            if _OLD_PANGO:
                return None
        values = memoryview(ffi.buffer(glyphs.glyphs, count * _INFO)).cast("i")
        glyph_ids = values[0::_FIELDS]
        if count and (any(values[3::_FIELDS]) or min(glyph_ids) < 0 or max(glyph_ids) >= _UNKNOWN):
            return None  # a raised or lowered glyph, or a glyph no font has (flagged codes, all past 0x0fffffff)
        runs.append((glyph_item, values, font, font_size, changed))
    return runs


def draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
    """WeasyPrint's `draw_first_line`, for the lines it can take (see the module's doc)."""
    if not ENABLED or text_overflow == "ellipsis" or block_ellipsis != "none":
        stats["weasyprint"] += 1
        return _draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
    if not textbox.text.strip() or textbox.style["font_size"] < 1e-6:
        return []
    layout = textbox.pango_layout
    pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
    first_line, _ = layout.get_first_line()
    runs = _runs(stream, first_line)
    if runs is None:
        stats["weasyprint"] += 1
        return _draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
    stats["fast"] += 1
    stream.set_text_matrix(*matrix.values)
    parts: list[str] = []
    utf8_text = None
    for glyph_item, values, font, font_size, changed in runs:
        if changed:
            if parts:
                stream.show_text("".join(parts))
            parts = []
            stream.set_font_size(font.hash, font_size)
        parts.append("<")
        pieces = font.__dict__.setdefault("_buko_pieces", {}).setdefault(font_size, {})
        keys = list(zip(values[0::_FIELDS], values[1::_FIELDS], values[2::_FIELDS]))  # glyph, width, x offset
        run_parts = [pieces.get(key) for key in keys]
        if None in run_parts:
            for i, key in enumerate(keys):
                if run_parts[i] is None:
                    if utf8_text is None:
                        utf8_text = layout.text.encode()
                    run_parts[i] = _piece(stream, glyph_item, i, len(keys), key, font, font_size, utf8_text)
                    if key[0]:  # not .notdef, whose width WeasyPrint may set later
                        pieces[key] = run_parts[i]
        parts.extend(run_parts)
        last = parts.pop()  # the run's list closed as WeasyPrint closes it
        last = last[:-1] if last.endswith("<") else last + ">"
        if last:
            parts.append(last)
    stream.show_text("".join(parts))
    return []


def _piece(stream, glyph_item, i: int, count: int, key: tuple, font, font_size, utf8_text: bytes) -> str:
    """What WeasyPrint writes for glyph `i` of the run (its code, with its position adjustment and kerning
    around it), recording the glyph's text and width in the font as WeasyPrint does on first sight. The same
    glyph, width and offset in the same font and size always give the same piece (pieces are kept per font)."""
    glyph_id, width, x_offset = key
    if glyph_id == _EMPTY:
        return f">{-width / font_size}<"
    if glyph_id not in font.to_unicode:
        font.to_unicode[glyph_id] = _characters(glyph_item, i, count, utf8_text)
    offset = x_offset / font_size
    piece = f">{-offset}<{glyph_id:04x}" if offset else f"{glyph_id:04x}"
    logical_width = font.widths.get(glyph_id)
    if logical_width is None:
        pango.pango_font_get_glyph_extents(
            glyph_item.item.analysis.font, glyph_id, stream.ink_rect, stream.logical_rect)
        logical_width = font.widths[glyph_id] = round(stream.logical_rect.width * 1000 * FROM_UNITS / font_size)
    kerning = logical_width + offset - width * 1000 * FROM_UNITS / font_size  # WeasyPrint's arithmetic
    return f"{piece}>{int(kerning)}<" if kerning else piece


def _characters(glyph_item, i: int, count: int, utf8_text: bytes) -> str:
    """The text glyph `i` of the run stands for (its cluster), as WeasyPrint maps it."""
    clusters = glyph_item.glyphs.log_clusters
    offset, start = glyph_item.item.offset, clusters[i]
    if glyph_item.item.analysis.level % 2:  # right to left
        end = glyph_item.item.length if i == 0 else clusters[i - 1]
    else:
        end = glyph_item.item.length if i == count - 1 else clusters[i + 1]
    return utf8_text[offset + start:offset + end].decode()


wp_draw_text.draw_first_line = draw_first_line
