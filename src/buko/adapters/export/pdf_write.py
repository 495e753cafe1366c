"""How WeasyPrint (70) and pydyf write the PDF: four small changes, active in every process that imports this
module (pdf_pages.py does, so PDF workers have them too), each measured with `valgrind --tool=callgrind` on the same parts (instruction
counts do not depend on what else the machine is doing; bench/README.md, "export.py").

- Embedded fonts that WeasyPrint rewrites with fontTools (a colour emoji font, say) keep their own 'modified'
  date: by default fontTools stamps the time of saving, and the same book gave a different PDF every second.
- The font subsetter's arrays are typed once: WeasyPrint asks cffi for `hb_codepoint_t[N]` with the length in
  the type, a new type for cffi to parse with pycparser (milliseconds) for every length: twice per font per
  document, and a book laid out in parts is many documents. `hb_codepoint_t[]` with the same items is the same
  array. About 5 % of the instructions of a part.
- pydyf's list of page references is built once per page count, not once per structure element that asks
  for it (PDF tagging asks for every element: O(pages x elements)).
- Streams are compressed at zlib's level 6 (its default), not 9: 3 times faster on these streams, files 1-4 %
  larger. About 5 % of the instructions of a part.
"""
from __future__ import annotations

import re
import types
import zlib

import pydyf
from fontTools.ttLib.tables import _h_e_a_d
from weasyprint.pdf import fonts as wp_fonts

ZLIB_LEVEL = 6

_compile_head = _h_e_a_d.table__h_e_a_d.compile


def _head_keeping_its_date(self, font):
    recalc = font.recalcTimestamp
    font.recalcTimestamp = False
    try:
        return _compile_head(self, font)
    finally:
        font.recalcTimestamp = recalc


_SIZED_ARRAY = re.compile(r"^(\w+)\[(\d+)\]$")


class _OpenArrays:
    """WeasyPrint's cffi object as seen by its font module: `new("T[N]", N items)` becomes `new("T[]", items)`."""

    def __init__(self, ffi):
        self._ffi = ffi

    def __getattr__(self, name):
        return getattr(self._ffi, name)

    def new(self, cdecl, init=None):
        sized = _SIZED_ARRAY.match(cdecl) if isinstance(cdecl, str) and init is not None else None
        if sized and len(init) == int(sized[2]):
            return self._ffi.new(f"{sized[1]}[]", init)
        return self._ffi.new(cdecl, init)


def _cached_page_references(pdf: pydyf.PDF) -> tuple[bytes, ...]:
    """pydyf rebuilds this tuple on every call and tagging calls it per structure element: O(pages x elements).

    The cache is keyed by the page count, the only way the list changes (pages are only ever appended).
    """
    kids = pdf.pages["Kids"]
    cached = pdf.__dict__.get("_buko_page_references")
    if cached is None or cached[0] != len(kids):
        cached = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        pdf.__dict__["_buko_page_references"] = cached
    return cached[1]


def _compressobj(level=-1, *args, **kwargs):
    return zlib.compressobj(ZLIB_LEVEL, *args, **kwargs)


_h_e_a_d.table__h_e_a_d.compile = _head_keeping_its_date
if not isinstance(wp_fonts.ffi, _OpenArrays):
    wp_fonts.ffi = _OpenArrays(wp_fonts.ffi)
pydyf.PDF.page_references = property(_cached_page_references)
pydyf.zlib = types.SimpleNamespace(**{**vars(zlib), "compressobj": _compressobj})
