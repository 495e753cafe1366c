"""The 20-chapter Spanish fixture exported to every format and checked with real validators.

First pages of each PDF are rendered to `test-output/exports/` (git-ignored) for a person to look at.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
import pytest
from markdown_it import MarkdownIt

from buko.adapters.export.cover import PillowCoverRenderer
from buko.adapters.export.registry import default_exporters
from tests.fixtures.export_checks import (
    REPO, TRIM_POINTS, epubcheck, flat, need, outline_titles, page_text, pdf_info, run, toc_pages,
)
from tests.fixtures.spanish_book import spanish_book

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
OUTPUT = REPO / "test-output" / "exports"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The fixture in every format (PDF once per trim size)."""
    folder = tmp_path_factory.mktemp("spanish")
    exporters = default_exporters()
    found = {}
    for trim in TRIM_POINTS:
        book = spanish_book(trim_size=trim)
        cover = PillowCoverRenderer().render(book)
        for fmt, exporter in exporters.items():
            if fmt == "pdf" or trim == "A5":
                found[fmt if trim == "A5" else f"pdf-{trim}"] = path = folder / f"book-{trim}.{exporter.extension}"
                path.write_bytes(exporter.render(book, cover))
    found["pdf-A5"] = found["pdf"]
    return found


@pytest.mark.parametrize("trim", list(TRIM_POINTS))
def test_pdf_page_size_count_and_metadata_per_trim_size(files, trim):
    book = spanish_book(trim_size=trim)
    info = pdf_info(files[f"pdf-{trim}"])
    width, height = (float(v) for v in re.match(r"([\d.]+) x ([\d.]+)", info["Page size"]).groups())
    assert (width, height) == pytest.approx(TRIM_POINTS[trim], abs=0.6)
    pages = int(info["Pages"])
    last = toc_pages(files[f"pdf-{trim}"], [c.title for c in book.chapters], "Índice")[book.chapters[-1].title]
    assert last <= pages <= last + 8
    assert info["Title"] == book.title and info["Author"] == book.author
    assert info["Subject"] == book.subtitle and "Buko" in info["Creator"] and info["Tagged"] == "yes"


@pytest.mark.parametrize("trim", ["A5", "letter"])
def test_every_chapter_title_is_on_the_recto_page_the_toc_claims(files, trim):
    book = spanish_book(trim_size=trim)
    claimed = toc_pages(files[f"pdf-{trim}"], [c.title for c in book.chapters], "Índice")
    assert list(claimed) == [c.title for c in book.chapters]
    for chapter in book.chapters:
        page = claimed[chapter.title]
        assert page % 2 == 1, f"{chapter.title} opens on a verso page {page}"
        text = flat(page_text(files[f"pdf-{trim}"], page))
        assert f"Capítulo {chapter.number} {chapter.title}".upper()[:12] in text.upper()
        assert chapter.title in text


def test_front_matter_has_no_folios_and_running_heads_alternate(files):
    book, pdf = spanish_book(), files["pdf"]
    assert page_text(pdf, 1).strip() == ""  # the cover is an image
    title_page = flat(page_text(pdf, 3))
    assert book.title in title_page and not re.search(r"\d", title_page)
    first = toc_pages(pdf, [book.chapters[0].title], "Índice")[book.chapters[0].title]
    opener = page_text(pdf, first, layout=True).strip().splitlines()
    assert opener[0].strip().upper().startswith("CAPÍTULO 1") and opener[-1].strip() == str(first)
    verso = page_text(pdf, first + 1, layout=True).strip().splitlines()
    assert verso[0].strip() == book.title and verso[-1].strip() == str(first + 1)
    claimed = toc_pages(pdf, [c.title for c in book.chapters], "Índice")
    chapter = next(c for c in book.chapters[:-1] if claimed[book.chapters[c.number].title] - claimed[c.title] > 2)
    recto = page_text(pdf, claimed[chapter.title] + 2, layout=True).strip().splitlines()
    assert recto[0].strip() == chapter.title


def test_pdf_fonts_embedded_bookmarks_footnote_and_hyphenation(files):
    book, pdf = spanish_book(), files["pdf"]
    need("pdffonts")
    fonts = run("pdffonts", str(pdf)).stdout.splitlines()[2:]
    assert len(fonts) >= 3 and all(line.split()[-5] == "yes" for line in fonts), fonts
    assert outline_titles(pdf) == [book.title, "Índice", *(c.title for c in book.chapters)]
    text = page_text(pdf)
    assert all(char in text for char in "ñáéíóú¿¡—«»")
    assert "Archivo del puerto de Cádiz" in text and "[^" not in text
    assert book.credit in " ".join(text.split())
    lines = page_text(pdf, layout=True).splitlines()
    hyphenated = [line for line in lines if re.search(r"\w[-\u2010]$", line.rstrip())]
    assert len(hyphenated) > 20


def test_first_pages_rendered_to_png_for_a_person_to_look(files):
    need("pdftoppm")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for old in OUTPUT.glob("spanish-*.png"):
        old.unlink()
    for trim in ("A5", "6x9"):
        pdf, prefix = str(files[f"pdf-{trim}"]), str(OUTPUT / f"spanish-{trim}")
        run("pdftoppm", "-r", "70", "-f", "1", "-l", "10", "-png", pdf, prefix)
    assert len(list(OUTPUT.glob("spanish-A5-*.png"))) == 10


def test_epub_has_zero_epubcheck_errors_and_warnings(files):
    output = epubcheck(files["epub"])
    assert "No errors or warnings detected." in output, output
    assert re.search(r"0 fatals / 0 errors / 0 warnings", output), output


def test_epub_structure_footnote_and_metadata(files):
    book = spanish_book()
    with zipfile.ZipFile(files["epub"]) as z:
        chapters = sorted(n for n in z.namelist() if re.match(r"EPUB/chapter-\d+\.xhtml", n))
        assert len(chapters) == 20
        assert "Archivo del puerto de Cádiz" in z.read("EPUB/chapter-002.xhtml").decode()
        assert 'class="scene-break"' in z.read("EPUB/chapter-001.xhtml").decode()
        nav = z.read("EPUB/nav.xhtml").decode()
        assert all(c.title in nav for c in book.chapters)
        opf = z.read("EPUB/content.opf").decode()
        assert "<dc:language>es</dc:language>" in opf and book.author in opf and "dcterms:modified" in opf


def test_docx_headings_toc_sections_and_styles_not_direct_formatting(files):
    book = spanish_book()
    document = docx.Document(str(files["docx"]))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == [c.title for c in book.chapters]
    body = document.element.body
    assert any(" TOC " in (t.text or "") for t in body.iter(f"{W}instrText"))
    # Title page on a recto, copyright on its verso, contents on a recto, then one recto section per chapter.
    assert [s.start_type.name for s in document.sections[1:]] == ["ODD_PAGE", "EVEN_PAGE", "ODD_PAGE"] + ["ODD_PAGE"] * 20
    for paragraph in body.iter(f"{W}p"):
        ppr = paragraph.find(f"{W}pPr")
        assert ppr is None or {child.tag for child in ppr} <= {f"{W}pStyle", f"{W}sectPr"}
        for rpr in paragraph.iter(f"{W}rPr"):
            assert {child.tag for child in rpr} == {f"{W}rStyle"}
    styles = {p.style.name for p in document.paragraphs}
    assert {"Title", "Body Text", "First Paragraph", "Scene Break", "Chapter Label"} <= styles
    props = document.core_properties
    assert (props.title, props.author, props.language) == (book.title, book.author, "es")
    # Running heads are plain text per chapter section (LibreOffice leaves STYLEREF heads empty).
    for chapter, section in zip(book.chapters, document.sections[4:], strict=True):
        assert chapter.title in section.header._element.xml and "STYLEREF" not in section.header._element.xml
        assert book.title in section.even_page_header._element.xml
    assert "PAGE" in document.sections[4].footer._element.xml


def test_docx_notes_are_word_footnotes_and_dates_are_the_books(files):
    from datetime import datetime

    book = spanish_book()
    with zipfile.ZipFile(files["docx"]) as z:
        body, notes = z.read("word/document.xml").decode(), z.read("word/footnotes.xml").decode()
        relations = z.read("word/_rels/document.xml.rels").decode()
        stamps = {info.date_time[:3] for info in z.infolist()}
    assert body.count("<w:footnoteReference ") == 1 and 'w:id="1"' in notes
    assert f'descr="Cubierta: {book.title}. {book.author}"' in body  # the cover's alt text, in Spanish
    assert "Archivo del puerto de Cádiz" in notes and "Archivo del puerto de Cádiz" not in body
    assert "relationships/footnotes" in relations
    props = docx.Document(str(files["docx"])).core_properties
    when = datetime(book.year, 1, 1)
    assert (props.created.replace(tzinfo=None), props.modified.replace(tzinfo=None)) == (when, when)
    assert stamps == {(book.year, 1, 1)}  # no ZIP entry carries the day it was made (nor python-docx's 2013)


def test_markdown_round_trips_the_chapter_titles_and_footnote(files):
    book = spanish_book()
    text = files["md"].read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").parse(text.split("\n---\n", 1)[1])
    h1 = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h1"]
    assert [MarkdownIt().renderInline(t).replace("&amp;", "&") for t in h1] == [c.title for c in book.chapters]
    assert text.startswith('---\ntitle: "La hija del farero: ¿un año sin luz?"\n')
    assert "[^c2-registro]" in text and "* * *" in text
