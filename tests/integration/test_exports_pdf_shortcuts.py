"""Shortcuts through WeasyPrint's work give WeasyPrint's own PDF byte for byte, in running text and in the
hostile book (emoji, CJK, right-to-left, code, tables): lines written from the glyph array as integers
(pdf_glyphs.py; unusual lines go to WeasyPrint's own loop), lines placed without looking for floats in a
document that has none, page and margin box styles shared by pages with the same @page declarations, boxes
that draw nothing behind them given no background without looking at each property (pdf_pages.py)."""
from __future__ import annotations

import pytest

from buko.adapters.export import pdf_glyphs, pdf_pages
from buko.adapters.export.cover import PillowCoverRenderer
from buko.adapters.export.pdf import WeasyPrintExporter
from tests.fixtures.hostile_book import hostile_book
from tests.fixtures.spanish_book import spanish_book

BOOKS = {"spanish": lambda: spanish_book(words_per_chapter=900, chapters=3), "hostile": hostile_book}


def _render(book, enabled: bool) -> tuple[bytes, dict]:
    before = dict(pdf_glyphs.stats)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(pdf_glyphs, "ENABLED", enabled)
        data = WeasyPrintExporter(processes=1).render(book, PillowCoverRenderer().render(book))
    return data, {key: pdf_glyphs.stats[key] - before[key] for key in before}


@pytest.mark.parametrize("name", sorted(BOOKS))
def test_the_pdf_is_weasyprints_own_byte_for_byte(name):
    book = BOOKS[name]()
    fast, counts = _render(book, True)
    own, own_counts = _render(book, False)
    assert fast == own
    assert own_counts["fast"] == 0
    written = counts["fast"] + counts["weasyprint"]
    assert written > 150 and counts["fast"] > 0.8 * written, counts
    if name == "hostile":  # colour emoji and glyphs no font has are left to WeasyPrint
        assert counts["weasyprint"] > 0, counts


@pytest.mark.parametrize("name", sorted(BOOKS))
def test_lines_placed_without_looking_for_floats_give_the_same_pdf(name, monkeypatch):
    book = BOOKS[name]()
    cover = PillowCoverRenderer().render(book)
    looked = []
    look = pdf_pages._avoid_collisions
    monkeypatch.setattr(pdf_pages, "_avoid_collisions", lambda *args: looked.append(1) or look(*args))
    shortcut = WeasyPrintExporter(processes=1).render(book, cover)
    shortcut_looks = len(looked)
    monkeypatch.setattr(pdf_pages, "LINES_WITHOUT_FLOATS", False)
    assert shortcut == WeasyPrintExporter(processes=1).render(book, cover)
    assert len(looked) - shortcut_looks > 200 and shortcut_looks < 0.2 * (len(looked) - shortcut_looks)


@pytest.mark.parametrize("name", sorted(BOOKS))
@pytest.mark.parametrize("settings", [{}, {"print_ready": True, "bleed": True}, {"page_size": "6x9"}],
                         ids=["reading", "print-bleed", "6x9"])
def test_page_styles_shared_by_pages_with_the_same_declarations_give_the_same_pdf(name, settings, monkeypatch):
    book = BOOKS[name]()
    cover = PillowCoverRenderer().render(book)
    computed = []
    compute = pdf_pages._set_page_styles
    monkeypatch.setattr(pdf_pages, "_set_page_styles", lambda *args: computed.append(1) or compute(*args))
    exporter = WeasyPrintExporter(processes=1, **settings)
    shared = exporter.render(book, cover)
    computed_shared = len(computed)
    monkeypatch.setattr(pdf_pages, "SHARE_PAGE_STYLES", False)
    assert shared == exporter.render(book, cover)
    pages = len(computed) - computed_shared  # without sharing: once per page
    assert pages > 10 and computed_shared <= 8 and pages > 1.5 * computed_shared, (computed_shared, pages)


@pytest.mark.parametrize("name", sorted(BOOKS))
@pytest.mark.parametrize("settings", [{}, {"print_ready": True, "bleed": True}], ids=["reading", "print-bleed"])
def test_boxes_without_backgrounds_found_from_their_style_give_the_same_pdf(name, settings, monkeypatch):
    book = BOOKS[name]()
    cover = PillowCoverRenderer().render(book)
    looked = []
    look = pdf_pages._box_backgrounds
    monkeypatch.setattr(pdf_pages, "_box_backgrounds", lambda *args: looked.append(1) or look(*args))
    exporter = WeasyPrintExporter(processes=1, **settings)
    shortcut = exporter.render(book, cover)
    shortcut_looks = len(looked)
    monkeypatch.setattr(pdf_pages, "NO_BACKGROUND_SHORTCUT", False)
    assert shortcut == exporter.render(book, cover)
    assert len(looked) - shortcut_looks > 5 * shortcut_looks  # most boxes took the shortcut
