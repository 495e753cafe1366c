"""Lines drawn from the layouts they were measured with (pdf_text.py) print the same book as WeasyPrint's own
drawing, which sets and shapes every line again: same pages, same words, each word where WeasyPrint puts it;
and the shortcut is really taken, leaves nothing behind, and steps aside where it must."""
from __future__ import annotations

import gc

import pytest

from weasyprint.text import line_break as wp_line_break

from buko.adapters.export import pdf_text
from buko.adapters.export.cover import PillowCoverRenderer
from buko.adapters.export.pdf import WeasyPrintExporter
from tests.fixtures.export_checks import layout_lines
from tests.fixtures.hostile_book import hostile_book
from tests.fixtures.spanish_book import spanish_book
from tests.integration.test_exports import SENTENCES_EN, TITLES_EN, manuscript

BOOKS = {"spanish": lambda: spanish_book(words_per_chapter=900, chapters=3), "hostile": hostile_book,
         "english": lambda: manuscript(words_per_chapter=900, titles=TITLES_EN[:3], sentences=SENTENCES_EN)}


def _render(book, monkeypatch, **settings) -> tuple[bytes, dict]:
    for name, value in settings.items():
        monkeypatch.setattr(pdf_text, name, value)
    before = dict(pdf_text.stats)
    data = WeasyPrintExporter(processes=1).render(book, PillowCoverRenderer().render(book))
    monkeypatch.undo()
    return data, {key: pdf_text.stats[key] - before[key] for key in before}


@pytest.fixture(scope="module", params=sorted(BOOKS))
def renders(request, tmp_path_factory):
    book = BOOKS[request.param]()
    folder = tmp_path_factory.mktemp(f"pdf-text-{request.param}")
    out = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, settings in {"kept": {}, "weasyprint": {"ENABLED": False}, "no-room": {"MAX_KEPT": 0},
                               "unpredicted": {"PREDICT": False}}.items():
            data, counts = _render(book, monkeypatch, **settings)
            (folder / f"{name}.pdf").write_bytes(data)
            out[name] = (folder / f"{name}.pdf", data, counts)
    return request.param, out


def test_every_word_prints_where_weasyprints_own_drawing_puts_it(renders):
    _, out = renders
    kept, own = layout_lines(out["kept"][0]), layout_lines(out["weasyprint"][0])
    assert [(ln["page"], ln["text"]) for ln in kept] == [(ln["page"], ln["text"]) for ln in own]
    shifts = [abs(a - b) for line, other in zip(kept, own) for word, theirs in zip(line["words"], other["words"])
              for a, b in zip(word[:2], theirs[:2])]
    assert len(shifts) > 500 and max(shifts) < 0.3  # points; kerning next to a space is all that may differ


def test_most_lines_are_drawn_from_their_kept_layout_and_none_when_disabled(renders):
    """In running text four lines in five (the others: headings with letter spacing, margin boxes, lines
    WeasyPrint re-split); in the hostile book's CJK, emoji, code and tables, fewer but still many."""
    name, out = renders
    counts = out["kept"][2]
    drawn = counts["drawn_kept"] + counts["drawn_again"]
    assert drawn > 150 and counts["drawn_kept"] > (0.75 if name == "spanish" else 0.4) * drawn, counts
    assert out["weasyprint"][2]["drawn_kept"] == 0 and out["no-room"][2]["drawn_kept"] == 0


def test_without_room_to_keep_layouts_the_pdf_is_weasyprints_own_byte_for_byte(renders):
    """Also shows that single-paragraph mode, set when the text is set, changes nothing in the layout."""
    _, out = renders
    assert out["no-room"][1] == out["weasyprint"][1]


def test_next_words_answered_from_the_draft_change_nothing(renders):
    """Most "does the next word still fit" texts are answered from Pango's draft of the paragraph, and the PDF
    is byte for byte the one where every such text is set and laid out."""
    name, out = renders
    assert out["kept"][1] == out["unpredicted"][1]
    assert out["unpredicted"][2]["predicted"] == 0
    if name != "hostile":  # running text: a line in four at least (Spanish: one in two)
        assert out["kept"][2]["predicted"] > 0.25 * out["kept"][2]["drawn_kept"], out["kept"][2]


def test_no_layout_outlives_its_document(renders):
    gc.collect()
    assert len(pdf_text._kept) == 0


def test_every_next_word_answered_from_the_draft_is_what_pango_answers(monkeypatch):
    """Each text answered from the draft, set and laid out for real at the same width, has the same first
    line (length and size) and the same start of its second, at three trim sizes and in two languages."""
    answered = pdf_text._breaks_as_drafted
    checked = []

    def checking(layout, text):
        predicted = answered(layout, text)
        if predicted:
            real = wp_line_break.create_layout(text, layout.style, None, layout.max_width, 0)
            (line, index), (draft_line, draft_index) = real.get_first_line(), layout.get_first_line()
            checked.append((index, line.length, wp_line_break.line_size(line, layout.style))
                           == (draft_index, draft_line.length, wp_line_break.line_size(draft_line, layout.style)))
        return predicted

    monkeypatch.setattr(pdf_text, "_breaks_as_drafted", checking)
    for book in (BOOKS["spanish"](), BOOKS["english"]()):
        for trim in ("A5", "6x9", "A4"):
            WeasyPrintExporter(processes=1, page_size=trim).render(book, PillowCoverRenderer().render(book))
    assert len(checked) > 500 and all(checked), f"{checked.count(False)} of {len(checked)} differ"
