"""The changes pdf_write.py makes to how WeasyPrint and pydyf write a PDF give the same objects, faster."""
from __future__ import annotations

import zlib

import pydyf
from weasyprint.pdf import fonts as wp_fonts
from weasyprint.text.ffi import ffi

from buko.adapters.export import pdf_write


def test_weasyprints_font_module_gets_open_arrays_with_the_same_items():
    assert isinstance(wp_fonts.ffi, pdf_write._OpenArrays)
    items = [3, 1, 4, 1, 5]
    array = wp_fonts.ffi.new(f"hb_codepoint_t[{len(items)}]", items)
    assert ffi.typeof(array) == ffi.typeof("hb_codepoint_t[]") and list(array) == items
    padded = wp_fonts.ffi.new("hb_codepoint_t[4]", [7])  # fewer items than the length: cffi's own sized array
    assert list(padded) == [7, 0, 0, 0]
    assert wp_fonts.ffi.NULL == ffi.NULL  # everything else is cffi's


def test_pydyf_streams_are_compressed_at_zlibs_default_level_and_read_back():
    content = b"BT /F1 11 Tf [<0001>-93<0056>] TJ ET\n" * 400
    data = pydyf.Stream([content], compress=True).data
    body = data.split(b"stream\n", 1)[1].rsplit(b"\nendstream", 1)[0]
    assert zlib.decompress(body) == content
    assert body == zlib.compress(content, pdf_write.ZLIB_LEVEL) != zlib.compress(content, 9)


def test_fewer_collections_while_rendering_and_the_thresholds_back_after_the_last_render():
    import gc

    before = gc.get_threshold()
    with pdf_write.fewer_collections():
        assert gc.get_threshold()[0] == max(before[0], pdf_write.GC_THRESHOLD)
        with pdf_write.fewer_collections():  # a second render at the same time (another thread)
            pass
        assert gc.get_threshold()[0] == max(before[0], pdf_write.GC_THRESHOLD)  # the first is still under way
    assert gc.get_threshold() == before
    try:
        with pdf_write.fewer_collections():
            raise ValueError("a render that fails")
    except ValueError:
        pass
    assert gc.get_threshold() == before


def test_per_style_values_are_kept_on_style_objects_and_computed_for_plain_dicts():
    from buko.adapters.export.pdf_text import _per_style

    calls = []

    def size(style):
        calls.append(style)
        return style["font_size"] * 2

    cached = _per_style(size)

    class Style(dict):
        pass

    style = Style(font_size=11)
    assert cached(style) == cached(style) == 22 and len(calls) == 1
    assert cached({"font_size": 5}) == cached({"font_size": 5}) == 10 and len(calls) == 3
