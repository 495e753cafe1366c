"""How WeasyPrint (70) and pydyf write the PDF: seven small changes, active in every process that imports this
module (pdf_pages.py does, so PDF workers have them too). What each saves is given with it: instruction counts
(valgrind's callgrind, on the same chapters) where seconds on this shared machine were too noisy to tell.

- Embedded fonts that WeasyPrint rewrites with fontTools (a colour emoji font, say) keep their own 'modified'
  date: by default fontTools stamps the time of saving, and the same book gave a different PDF every second.
- The font subsetter's arrays are typed once: WeasyPrint asks cffi for `hb_codepoint_t[N]` with the length in
  the type, a new type for cffi to parse with pycparser (milliseconds) for every length: twice per font per
  document, and a book laid out in parts is many documents. `hb_codepoint_t[]` with the same items is the same
  array. About 5 % of the instructions of a part.
- pydyf's list of page references is built once per page count, not once per structure element that asks
  for it (PDF tagging asks for every element: O(pages x elements)).
- A PNG image (the cover) whose compressed rows a PDF can hold as they are (8-bit grey or RGB, not interlaced)
  is embedded as they are: WeasyPrint decoded it and encoded it again (0.25 s for a cover).
- `fewer_collections()`, around a render: Python's cyclic garbage collector runs every 50,000 allocations
  instead of every 700 (WeasyPrint allocates millions of small objects: 5 % of a render's CPU time went to collections,
  measured with `gc.callbacks`).
- Streams are compressed at zlib's level 6 (its default), not 9: 3 times faster on these streams, files 1-4 %
  larger. About 5 % of the instructions of a part.
- Each object is serialized (and each stream compressed) once per PDF written: pydyf writes every object, then
  serializes all of them again to hash them for the file identifier (the object stream, all of a part's
  structure elements, is compressed twice). While `PDF.write` runs, an object's bytes are kept for the second
  time they are asked for (in that thread only; nothing changes objects while they are written). Same bytes.
"""
from __future__ import annotations

import gc
import io
import re
import struct
import threading
import types
import zlib
from contextlib import contextmanager

import pydyf
from fontTools.ttLib.tables import _h_e_a_d
from weasyprint import images as wp_images
from weasyprint.pdf import fonts as wp_fonts

ZLIB_LEVEL = 6
GC_THRESHOLD = 50_000  # allocations between two young-generation collections while a PDF renders
_gc_lock = threading.Lock()
_gc_renders = [0, None]  # renders under way in the process, the thresholds before the first

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


_get_png_data = wp_images.RasterImage._get_png_data


def _png_rows(pillow_image) -> bytes:
    """The IDAT data of a PNG file opened (not decoded) by Pillow, when a PDF FlateDecode stream with PNG
    predictors can take it unchanged; else WeasyPrint's own (the image decoded and saved again)."""
    source = getattr(pillow_image, "fp", None)
    if (pillow_image.format == "PNG" and pillow_image.mode in ("L", "RGB") and not pillow_image.info.get("interlace")
            and isinstance(source, io.BytesIO)):
        data = source.getvalue()
        if data[:8] == b"\x89PNG\r\n\x1a\n" and data[24] == 8:  # IHDR's bit depth
            rows, at = [], 8
            while at + 8 <= len(data):
                length, kind = struct.unpack(">I4s", data[at:at + 8])
                if kind == b"IDAT":
                    rows.append(data[at + 8:at + 8 + length])
                at += 12 + length
            if rows:
                return b"".join(rows)
    return _get_png_data(pillow_image)


@contextmanager
def fewer_collections():
    """The garbage collector runs less often while the block runs (in any thread; the thresholds are the
    process's, restored when the last such block ends). Nothing is left uncollected, only collected later."""
    with _gc_lock:
        if not _gc_renders[0]:
            _gc_renders[1] = gc.get_threshold()
            young, middle, old = _gc_renders[1]
            gc.set_threshold(max(young, GC_THRESHOLD), max(middle, 20), max(old, 100))
        _gc_renders[0] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_renders[0] -= 1
            if not _gc_renders[0]:
                gc.set_threshold(*_gc_renders[1])


WRITE_ONCE = True  # False: pydyf serializes every object twice (tests compare both)
_written = threading.local()  # .data: id -> (object, its bytes), while this thread's PDF.write runs
_pdf_write = pydyf.PDF.write


def _write_serializing_once(self, *args, **kwargs):
    if not WRITE_ONCE or getattr(_written, "data", None) is not None:
        return _pdf_write(self, *args, **kwargs)
    _written.data = {}
    try:
        return _pdf_write(self, *args, **kwargs)
    finally:
        _written.data = None


def _serialized_once(data: property) -> property:
    compute = data.fget

    def once(self):
        memo = getattr(_written, "data", None)
        if memo is None:
            return compute(self)
        found = memo.get(id(self))
        if found is None or found[0] is not self:
            found = memo[id(self)] = (self, compute(self))
        return found[1]

    once.__wrapped__ = compute
    return property(once, doc=data.__doc__)


def _compressobj(level=-1, *args, **kwargs):
    return zlib.compressobj(ZLIB_LEVEL, *args, **kwargs)


_h_e_a_d.table__h_e_a_d.compile = _head_keeping_its_date
if not isinstance(wp_fonts.ffi, _OpenArrays):
    wp_fonts.ffi = _OpenArrays(wp_fonts.ffi)
wp_images.RasterImage._get_png_data = staticmethod(_png_rows)
pydyf.PDF.page_references = property(_cached_page_references)
pydyf.zlib = types.SimpleNamespace(**{**vars(zlib), "compressobj": _compressobj})
if pydyf.PDF.write is not _write_serializing_once:
    pydyf.PDF.write = _write_serializing_once
    for _kind in (pydyf.Dictionary, pydyf.Stream, pydyf.Array, pydyf.String):
        _kind.data = _serialized_once(_kind.data)
