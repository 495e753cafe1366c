"""What a publisher checks in the PDF, measured on the rendered pages (pdftotext word boxes): hyphenation
rates and limits, line length, the baseline grid across spreads, the copyright block, running heads, titles;
plus byte-reproducible exports and the accessibility structure of PDF and EPUB."""
from __future__ import annotations

import re
import statistics
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path

import pytest

from buko.adapters.export.cover import PillowCoverRenderer
from buko.adapters.export.pdf import WeasyPrintExporter
from buko.adapters.export.pdf_style import TRIMS
from buko.adapters.export.registry import default_exporters
from buko.domain.books.manuscript import shorten
from tests.fixtures.export_checks import (HYPHENS, body_lines, full_line_lengths, hyphenation_stats, layout_lines,
                                          pdf_info)
from tests.fixtures.spanish_book import spanish_book
from tests.integration.test_exports import SENTENCES_EN, TITLES_EN, manuscript

MAX_HYPHEN_RATE = 0.08  # before the limits: 14 % (English) and 24 % (Spanish) of body lines


def english_book():
    return manuscript(words_per_chapter=3000, titles=TITLES_EN, sentences=SENTENCES_EN)


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("typesetting")
    books = {"en": english_book(), "es": spanish_book(words_per_chapter=900),
             "es-6x9": spanish_book(words_per_chapter=300, chapters=6, trim_size="6x9")}
    out = {}
    for name, book in books.items():
        out[name] = (book, folder / f"{name}.pdf")
        out[name][1].write_bytes(WeasyPrintExporter().render(book, PillowCoverRenderer().render(book)))
    return out


def _first_body_page(lines: list[dict]) -> int:
    return min(ln["page"] for ln in lines if re.match(r"(CHAPTER|CAPÍTULO) 1$", ln["text"]))


def _body(path: Path) -> list[dict]:
    lines = layout_lines(path)
    return [ln for ln in body_lines(lines, _first_body_page(lines)) if not re.match(r"(CHAPTER|CAPÍTULO) \d+$", ln["text"])]


@pytest.mark.parametrize("name", ["en", "es"])
def test_hyphenation_rate_and_limits(pdfs, name):
    _, path = pdfs[name]
    lines = _body(path)
    stats = hyphenation_stats(lines)
    print(f"\nhyphenation {name}: {stats['hyphenated']} of {stats['lines']} body lines = {stats['rate']:.1%}; "
          f"longest run {stats['max_run']}; at a page turn {stats['page_turns']}")
    assert stats["lines"] > 1000 and 0 < stats["rate"] <= MAX_HYPHEN_RATE
    # Enforced after layout (hyphenation.offending_words): at most 2 hyphenated lines in a row, no word split
    # across a page turn (before the cap: runs of 3 and 1 split at a page turn in each book).
    assert stats["max_run"] <= 2 and stats["page_turns"] == 0
    for i, line in enumerate(lines[:-1]):
        if not line["text"].endswith(HYPHENS):
            continue
        before = re.sub(r"\W", "", line["words"][-1][2])
        after = re.sub(r"\W.*$", "", lines[i + 1]["words"][0][2])
        assert len(before) >= 3 and len(after) >= 3, (line["text"], lines[i + 1]["text"])


@pytest.mark.parametrize("name", ["en", "es"])
def test_no_paragraph_ends_on_a_hyphenated_fragment(pdfs, name):
    """The line before an indented line (a new paragraph) is a paragraph's last-but-one... or its last: the
    last line of a paragraph never carries the tail of a word split on the line above, and never ends split."""
    _, path = pdfs[name]
    lines = _body(path)
    left = statistics.mode(round(ln["x0"]) for ln in lines if ln["page"] % 2)
    checked = 0
    for before, last, after in zip(lines, lines[1:], lines[2:]):
        starts_paragraph = after["page"] == last["page"] and after["page"] % 2 and round(after["x0"]) > left + 5
        if starts_paragraph and len(last["text"]) < 40:  # a short last line: the paragraph's end
            checked += 1
            assert not last["text"].endswith(HYPHENS)
            assert not (before["text"].endswith(HYPHENS) and len(last["words"]) == 1), (before["text"], last["text"])
    assert checked > 50


@pytest.mark.parametrize("name, low, high", [("en", 60, 70), ("es", 60, 70), ("es-6x9", 60, 70)])
def test_line_length_suits_the_trim(pdfs, name, low, high):
    _, path = pdfs[name]
    lengths = full_line_lengths(_body(path))
    median = statistics.median(lengths)
    print(f"\n{name}: median {median} characters per full line ({len(lengths)} lines)")
    assert low <= median <= high


def test_facing_pages_end_on_the_same_baseline(pdfs):
    book, path = pdfs["en"]
    lines = layout_lines(path)
    first = _first_body_page(lines)
    pages: dict[int, list[dict]] = {}
    for line in body_lines(lines, first):
        pages.setdefault(line["page"], []).append(line)
    openers = {ln["page"] for ln in lines if re.match(r"CHAPTER \d+$", ln["text"])}
    last_pages = {p - 1 for p in openers} | {p - 2 for p in openers} | {max(pages)}
    spreads = [(p, p + 1) for p in pages if p % 2 == 0 and p + 1 in pages
               and not {p, p + 1} & openers and p + 1 not in last_pages]
    assert len(spreads) > 10
    grid = TRIMS["A5"].line
    apart = [abs(pages[verso][-1]["y1"] - pages[recto][-1]["y1"]) / grid for verso, recto in spreads]
    # Feet are a whole number of grid lines apart (never 1.5 lines), at most one line, where widow/orphan
    # control (2 lines) shortens one page of a spread; WeasyPrint cannot shorten the facing page to match.
    assert all(abs(lines_apart - round(lines_apart)) < 0.04 and round(lines_apart) <= 1 for lines_apart in apart)
    uneven = sum(round(lines_apart) for lines_apart in apart)
    print(f"\nspreads: {len(spreads)} full spreads, feet aligned on {len(spreads) - uneven}, one line apart on {uneven}")
    assert uneven <= len(spreads) * 0.35
    for page in pages.values():  # body lines (not headings: those are short) sit on the grid
        body = [line for line in page if len(line["text"]) > 45]
        top = body[0]["y1"] if body else 0
        for line in body:
            steps = (line["y1"] - top) / grid
            assert abs(steps - round(steps)) < 0.05, (line["page"], line["text"])


def test_copyright_sits_at_the_foot_of_its_page_in_the_books_language(pdfs):
    book, path = pdfs["es"]
    lines = layout_lines(path)
    page = next(ln["page"] for ln in lines if ln["text"].startswith("© 2025"))
    block = [ln for ln in lines if ln["page"] == page]
    trim = TRIMS["A5"]
    assert block[-1]["y1"] > trim.height - trim.bottom - trim.line - 2
    text = " ".join(ln["text"] for ln in block)
    assert "Texto de demostración" in text and "Buko's" not in text


def test_running_heads_use_a_short_title_on_one_line(tmp_path):
    title = "The Extraordinarily Long and Winding Title of a Book That Never Seems to End"
    book = replace(manuscript(words_per_chapter=900), title=title)
    path = tmp_path / "long.pdf"
    path.write_bytes(WeasyPrintExporter().render(book, PillowCoverRenderer().render(book)))
    lines = layout_lines(path)
    heads = {ln["text"] for ln in lines if ln["y1"] < ln["height"] * 0.08 and ln["page"] % 2 == 0}
    assert heads == {shorten(title)} and shorten(title).endswith("…") and len(shorten(title)) <= 41


def test_title_page_never_ends_a_line_on_a_short_word(tmp_path):
    book = replace(spanish_book(words_per_chapter=100, chapters=2),
                   title="El último tranvía de la ciudad dormida y de sus faroles")
    path = tmp_path / "title.pdf"
    path.write_bytes(WeasyPrintExporter().render(book, PillowCoverRenderer().render(book)))
    lines = [ln for ln in layout_lines(path) if ln["page"] == 3 and ln["y0"] < ln["height"] / 2]
    assert len(lines) >= 3
    for line in lines[:-1]:
        assert len(re.sub(r"\W", "", line["words"][-1][2])) > 3, line["text"]


def test_every_format_is_byte_reproducible():
    book = spanish_book(words_per_chapter=300, chapters=3)
    cover = PillowCoverRenderer().render(book)
    assert cover == PillowCoverRenderer().render(book)
    for fmt, exporter in default_exporters().items():
        assert exporter.render(book, cover) == exporter.render(book, cover), fmt


def _pdf_objects(path: Path) -> bytes:
    raw = path.read_bytes()
    chunks = [raw]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", raw, re.S):
        try:
            chunks.append(zlib.decompress(stream[1]))
        except zlib.error:
            continue
    return b"\n".join(chunks)


def test_pdf_is_tagged_pdf_ua_with_xmp_language_and_cover_alt_text(pdfs):
    book, path = pdfs["es"]
    info = pdf_info(path)
    objects = _pdf_objects(path)
    assert info["Tagged"] == "yes" and info["Metadata Stream"] == "yes"
    assert b'pdfuaid:part="1"' in objects and f"<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{book.title}<".encode() in objects
    assert b"/Lang (es)" in objects and b"/DisplayDocTitle true" in objects
    assert b"/StructTreeRoot" in objects and b"/Marked true" in objects
    # Running heads and folios are artifacts, not untagged content: one or two per body page.
    assert objects.count(b"/Artifact\nBMC") > int(info["Pages"]) * 0.8
    alt = "\ufeff" + f"Cubierta: {book.title}. {book.subtitle}. {book.author}"
    assert b"/Alt <" + alt.encode("utf-16-be").hex().encode() + b">" in objects.lower().replace(b"/alt", b"/Alt")
    print(f"\nPDF/UA-1: tagged, XMP pdfuaid:part=1 + dc:title, /Lang es, DisplayDocTitle, cover /Alt, "
          f"{objects.count(b'/Artifact' + bytes([10]) + b'BMC')} artifacts (running heads, folios); "
          f"{info['Pages']} pages")


def test_epub_accessibility_metadata_and_structure(tmp_path):
    book = replace(spanish_book(words_per_chapter=900, chapters=4), subject="novela")
    data = default_exporters()["epub"].render(book, PillowCoverRenderer().render(book))
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as z:
        opf, nav = z.read("EPUB/content.opf").decode(), z.read("EPUB/nav.xhtml").decode()
        chapter3, cover = z.read("EPUB/chapter-003.xhtml").decode(), z.read("EPUB/cover.xhtml").decode()
    for prop, value in (("schema:accessMode", "textual"), ("schema:accessModeSufficient", "textual"),
                        ("schema:accessibilityFeature", "structuralNavigation"),
                        ("schema:accessibilityFeature", "tableOfContents"),
                        ("schema:accessibilityFeature", "alternativeText"),
                        ("schema:accessibilityHazard", "none"),
                        ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA")):
        assert f'<meta property="{prop}">{value}</meta>' in opf
    assert 'property="schema:accessibilitySummary">Libro' in opf
    assert "<dc:date>2025</dc:date>" in opf and "<dc:subject>novela</dc:subject>" in opf and "<dc:publisher>" in opf
    assert '<meta property="dcterms:modified">2025-01-01T00:00:00Z</meta>' in opf
    assert 'epub:type="chapter" role="doc-chapter"' in chapter3
    assert re.search(r'<h1 id="h-c3"><span class="chapter-number">Capítulo 3</span> ', chapter3)
    assert 'href="chapter-003.xhtml#c3-s1">Interludio en la bahía</a>' in nav  # sections are in the nav
    assert "<h2>Puntos de referencia</h2>" in nav and 'href="style/book.css"' in nav
    assert 'role="doc-cover"' in cover and f'alt="Cubierta: {book.title}' in cover
    print("\nEPUB accessibility: " + ", ".join(sorted(set(re.findall(r'property="(schema:[a-zA-Z]+)"', opf)))))


def test_print_files_interior_without_cover_with_bleed_and_a_cover_sized_for_the_spine(tmp_path):
    from buko.adapters.export.print_cover import spine_mm
    from buko.adapters.export.registry import print_exporters

    book = spanish_book(words_per_chapter=400, chapters=4)
    cover = PillowCoverRenderer().render(book)
    files = print_exporters()
    interior, spread = tmp_path / "interior.pdf", tmp_path / "cover.pdf"
    interior.write_bytes(files["pdf-print"].render(book, cover))
    spread.write_bytes(files["cover-pdf"].render(book, cover))
    reading = tmp_path / "reading.pdf"
    reading.write_bytes(WeasyPrintExporter().render(book, cover))
    pages = int(pdf_info(interior)["Pages"])
    assert pages == int(pdf_info(reading)["Pages"]) - 2  # the cover and its blank verso are gone
    assert b"/Subtype /Image" not in interior.read_bytes()  # no cover picture in the interior
    trim, bleed = TRIMS["A5"], 3 * 72 / 25.4
    width, height = (float(v) for v in re.findall(r"[\d.]+", pdf_info(interior)["Page size"])[:2])
    assert abs(width - (trim.width + 2 * bleed)) < 1 and abs(height - (trim.height + 2 * bleed)) < 1
    width, height = (float(v) for v in re.findall(r"[\d.]+", pdf_info(spread)["Page size"])[:2])
    spine = spine_mm(pages) * 72 / 25.4
    assert abs(width - (2 * trim.width + spine + 2 * bleed)) < 1 and abs(height - (trim.height + 2 * bleed)) < 1
