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


def _with_and_without(monkeypatch, book, switch: str, slow_path: str, **settings) -> tuple[int, int]:
    """Renders `book` with pdf_pages' shortcut `switch` on, then off, asserts the two PDFs are the same bytes,
    and returns how many times WeasyPrint's own function (`slow_path`) ran in each."""
    cover = PillowCoverRenderer().render(book)
    calls = []
    own = getattr(pdf_pages, slow_path)
    monkeypatch.setattr(pdf_pages, slow_path, lambda *args: calls.append(1) or own(*args))
    exporter = WeasyPrintExporter(processes=1, **settings)
    shortcut = exporter.render(book, cover)
    with_shortcut = len(calls)
    monkeypatch.setattr(pdf_pages, switch, False)
    assert shortcut == exporter.render(book, cover)
    return with_shortcut, len(calls) - with_shortcut


@pytest.mark.parametrize("name", sorted(BOOKS))
def test_lines_placed_without_looking_for_floats_give_the_same_pdf(name, monkeypatch):
    shortcut, without = _with_and_without(monkeypatch, BOOKS[name](), "LINES_WITHOUT_FLOATS", "_avoid_collisions")
    assert without > 200 and shortcut < 0.2 * without


@pytest.mark.parametrize("name", sorted(BOOKS))
@pytest.mark.parametrize("settings", [{}, {"print_ready": True, "bleed": True}, {"page_size": "6x9"}],
                         ids=["reading", "print-bleed", "6x9"])
def test_page_styles_shared_by_pages_with_the_same_declarations_give_the_same_pdf(name, settings, monkeypatch):
    shared, pages = _with_and_without(monkeypatch, BOOKS[name](), "SHARE_PAGE_STYLES", "_set_page_styles",
                                      **settings)  # without sharing: once per page
    assert pages > 10 and shared <= 8 and pages > 1.5 * shared, (shared, pages)


@pytest.mark.parametrize("name", sorted(BOOKS))
@pytest.mark.parametrize("settings", [{}, {"print_ready": True, "bleed": True}], ids=["reading", "print-bleed"])
def test_boxes_without_backgrounds_found_from_their_style_give_the_same_pdf(name, settings, monkeypatch):
    shortcut, without = _with_and_without(monkeypatch, BOOKS[name](), "NO_BACKGROUND_SHORTCUT", "_box_backgrounds",
                                          **settings)
    assert without > 5 * shortcut  # most boxes took the shortcut
