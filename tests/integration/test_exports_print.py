"""The printer's cover spread on its own: the spine carries title and author only when it is thick enough to
hold them once bound, the paper sets its thickness, and the files are byte-reproducible."""
from __future__ import annotations

import re

import pytest

from buko.adapters.export.cover import PillowCoverRenderer
from buko.adapters.export.pdf_style import BLEED_PT, TRIMS
from buko.adapters.export.print_cover import MIN_SPINE_TEXT_MM, PAPER_MM, PrintCoverExporter
from buko.adapters.export.registry import print_exporters
from tests.fixtures.export_checks import page_text, pdf_info
from tests.fixtures.spanish_book import spanish_book


def test_the_spine_is_sized_by_pages_and_paper_and_carries_text_only_when_thick_enough(tmp_path):
    book = spanish_book(words_per_chapter=200, chapters=3)
    cover, trim = PillowCoverRenderer().render(book), TRIMS["A5"]
    spine_words = f"{book.title} · {book.author}"
    for pages, paper in ((40, "white"), (400, "white"), (400, "cream")):
        path = tmp_path / f"{pages}-{paper}.pdf"
        path.write_bytes(PrintCoverExporter(pages=pages, paper=paper).render(book, cover))
        info = pdf_info(path)
        width = float(re.match(r"([\d.]+) x", info["Page size"])[1])
        spine_mm = pages * PAPER_MM[paper]
        assert abs(width - (2 * trim.width + spine_mm * 72 / 25.4 + 2 * BLEED_PT)) < 0.6
        text = " ".join(page_text(path).split())
        assert (spine_words in text) == (spine_mm >= MIN_SPINE_TEXT_MM), (pages, paper, spine_mm)
        assert book.synopsis.split(",")[0] in text and book.credit in text  # the back cover
        assert info["Author"] == book.author and info["Title"] == book.title


def test_the_printers_files_are_byte_reproducible():
    book = spanish_book(words_per_chapter=200, chapters=3)
    cover = PillowCoverRenderer().render(book)
    for fmt, exporter in print_exporters(bleed=False, paper="cream").items():
        assert exporter.render(book, cover) == exporter.render(book, cover), fmt


def test_a_long_title_stays_on_the_spine(tmp_path):
    from dataclasses import replace

    from tests.fixtures.export_checks import run

    book = replace(spanish_book(words_per_chapter=200, chapters=3),
                   title="Una historia muy larga " + " ".join(["sobre el mar y el faro del puerto"] * 5))
    path = tmp_path / "cover.pdf"
    path.write_bytes(PrintCoverExporter(pages=400).render(book, PillowCoverRenderer().render(book)))
    boxes = run("pdftotext", "-bbox", str(path), "-").stdout
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', boxes)[1])
    trim, spine = TRIMS["A5"], 400 * PAPER_MM["white"] * 72 / 25.4
    words = [tuple(float(v) for v in w) for w in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">', boxes)]
    on_spine = [w for w in words if BLEED_PT + trim.width <= w[0] and w[2] <= BLEED_PT + trim.width + spine]
    assert len(on_spine) >= 5  # the running title and the author, read along the spine
    assert all(BLEED_PT + 10 <= w[1] and w[3] <= height - BLEED_PT - 10 for w in on_spine), on_spine


def test_the_cover_is_sized_from_the_interior_just_rendered_without_laying_it_out_again(tmp_path):
    book = spanish_book(words_per_chapter=300, chapters=4)
    cover = PillowCoverRenderer().render(book)
    files = print_exporters(bleed=True, paper="cream")
    interior = tmp_path / "interior.pdf"
    interior.write_bytes(files["pdf-print"].render(book, cover))
    pages = int(pdf_info(interior)["Pages"])

    def refuse(*_args):
        raise AssertionError("the interior was laid out again")

    files["cover-pdf"].interior.render = refuse
    spread = tmp_path / "cover.pdf"
    spread.write_bytes(files["cover-pdf"].render(book, cover))
    width = float(re.match(r"([\d.]+) x", pdf_info(spread)["Page size"])[1])
    assert abs(width - (2 * TRIMS["A5"].width + pages * PAPER_MM["cream"] * 72 / 25.4 + 2 * BLEED_PT)) < 0.6
    # Another book (other text) is not taken for this one: its interior is laid out.
    with pytest.raises(AssertionError, match="laid out again"):
        files["cover-pdf"].render(spanish_book(words_per_chapter=100, chapters=4), cover)
