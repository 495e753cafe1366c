"""The PDF laid out in parallel processes and merged (pdf_parallel.py, pdf_merge.py) is the same book as the one
laid out in one process: same pages and text, contents numbers = the pages the chapters start on, continuous
folios, links that land on the chapters, one structure tree, embedded fonts."""
from __future__ import annotations

import collections
import re
from pathlib import Path

import pikepdf
import pytest

from buko.adapters.export.cover import PillowCoverRenderer
from buko.adapters.export.pdf import WeasyPrintExporter, pdf_processes
from tests.fixtures.export_checks import flat, layout_lines, page_text, pdf_info, run, toc_pages
from tests.fixtures.spanish_book import spanish_book


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The same 7-chapter book (odd and even chapter lengths, so some chapters need a blank verso before the
    next one; 21,000 words, so a page breaks after a split word at least once) in one process and in two (in 4
    parts of one or two chapters: two per process)."""
    folder = tmp_path_factory.mktemp("parts")
    book = spanish_book(words_per_chapter=3000, chapters=7)
    cover = PillowCoverRenderer().render(book)
    out = {}
    for processes in (1, 2):
        exporter = WeasyPrintExporter(processes=processes)
        out[processes] = folder / f"book-{processes}.pdf"
        out[processes].write_bytes(exporter.render(book, cover))
        assert exporter.last_report["processes"] == processes
        assert exporter.last_report["parts"] == {1: 1, 2: 4}[processes]
        # The fixture has page breaks inside paragraphs whose last line was set again without a split word.
        assert exporter.last_report["page_turns_reset"] >= 1 and exporter.last_report["page_turns"] == 0
    return book, out


def test_merged_pdf_has_the_same_pages_and_text_as_one_laid_out_in_one_process(both):
    _, pdfs = both
    pages = int(pdf_info(pdfs[1])["Pages"])
    assert pages == int(pdf_info(pdfs[2])["Pages"]) and pages > 20
    for page in range(1, pages + 1):
        assert flat(page_text(pdfs[1], page)) == flat(page_text(pdfs[2], page)), page


def _words(path: Path) -> list[str]:
    """The PDF's words in reading order, running heads and folios left out and split words joined again."""
    pages = [[ln.strip() for ln in page.splitlines() if ln.strip()] for page in page_text(path).split("\f")]
    firsts = collections.Counter(page[0] for page in pages if page)
    joined = ""
    for page in pages:
        for line in (page[1:] if page and firsts[page[0]] >= 3 else page):
            if not line.isdigit():
                joined += line[:-1] if line.endswith("\u2010") else line + " "
    return joined.split()


def test_the_hyphenation_limits_move_words_but_never_lose_or_repeat_one(both, tmp_path):
    """Lines set again at a page turn or after two hyphens carry the same text: the words of the book as
    WeasyPrint sets it with no limits (no layout job) are the words of the merged PDF, in the same order."""
    from weasyprint import HTML

    from buko.adapters.export.pdf import DataOnlyFetcher

    book, pdfs = both
    exporter = WeasyPrintExporter(processes=1)
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(HTML(string=exporter.html(book, PillowCoverRenderer().render(book)),
                           url_fetcher=DataOnlyFetcher()).render().write_pdf())
    words = _words(plain)
    assert len(words) > 20_000 and _words(pdfs[2]) == words and _words(pdfs[1]) == words


def test_contents_numbers_are_the_pages_the_chapters_open_on_and_folios_run_on(both):
    book, pdfs = both
    pdf = pdfs[2]
    claimed = toc_pages(pdf, [c.title for c in book.chapters], "Índice")
    assert list(claimed) == [c.title for c in book.chapters]
    blanks = 0
    for chapter in book.chapters:
        page = claimed[chapter.title]
        assert page % 2 == 1 and flat(page_text(pdf, page)).upper().startswith(f"CAPÍTULO {chapter.number}")
        if not flat(page_text(pdf, page - 1)):
            blanks += 1
    assert blanks >= 1  # at least one chapter needed a blank verso before it
    lines = layout_lines(pdf)
    first = claimed[book.chapters[0].title]
    folios = {}
    for ln in sorted(lines, key=lambda ln: ln["y1"]):  # the lowest line of each page
        if ln["page"] >= first:
            folios[ln["page"]] = ln["text"]
    body_pages = {ln["page"] for ln in lines if ln["page"] >= first}
    assert body_pages and all(folios.get(page) == str(page) for page in body_pages), folios


def test_contents_links_land_on_the_chapter_openers(both):
    book, pdfs = both
    claimed = toc_pages(pdfs[2], [c.title for c in book.chapters], "Índice")
    with pikepdf.open(pdfs[2]) as pdf:
        index = {page.objgen: number for number, page in enumerate(pdf.pages, start=1)}
        names = pdf.Root.Names.Dests.Names
        dests = {str(names[i]): names[i + 1] for i in range(0, len(names), 2)}
        landed = {}
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", ()):
                target = annotation.get("/Dest")
                if annotation.get("/Subtype") == "/Link" and target is not None and str(target).startswith("chapter-"):
                    landed[str(target)] = index[dests[str(target)][0].objgen]
    assert landed == {f"chapter-{c.number}": claimed[c.title] for c in book.chapters}


def test_one_structure_tree_covers_every_page_with_unique_keys(both):
    _, pdfs = both
    with pikepdf.open(pdfs[2]) as pdf:
        tree = pdf.Root.StructTreeRoot
        assert len(tree.K) == 1 and tree.K[0].S == "/Document"
        document = tree.K[0]
        assert all(kid.P.objgen == document.objgen for kid in document.K)
        nums = tree.ParentTree.Nums
        keys = [int(nums[i]) for i in range(0, len(nums), 2)]
        assert len(keys) == len(set(keys)) and int(tree.ParentTreeNextKey) > max(keys)
        mapped = dict(zip(keys, (nums[i + 1] for i in range(0, len(nums), 2))))
        for page in pdf.pages:
            contents = page.obj.get("/Contents")
            data = contents.read_bytes() if contents is not None else b""
            mcids = set(map(int, re.findall(rb"/MCID (\d+)", data)))
            if mcids:
                entries = mapped[int(page.obj.StructParents)]
                assert len(entries) == max(mcids) + 1
                for element in entries:  # each marked content item's element is in the one tree
                    while element.get("/S") != "/Document":
                        element = element.P
                    assert element.objgen == document.objgen
        sections = sum(1 for kid in document.K if kid.S == "/Sect")
        assert sections >= 7 + 2  # the front matter's sections and one per chapter
        assert pdf.Root.MarkInfo.Marked is True and str(pdf.Root.Lang) == "es"
    info = pdf_info(pdfs[2])
    assert info["Tagged"] == "yes"
    fonts = run("pdffonts", str(pdfs[2])).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)
    names = [line.split()[0] for line in fonts]  # each part's subsets carry their own tag
    assert len(names) == len(set(names)) and all(re.match(r"[A-Z]{6}\+", name) for name in names)


def test_bookmarks_point_at_their_pages(both):
    book, pdfs = both
    claimed = toc_pages(pdfs[2], [c.title for c in book.chapters], "Índice")
    with pikepdf.open(pdfs[2]) as pdf:
        index = {page.objgen: number for number, page in enumerate(pdf.pages, start=1)}
        with pdf.open_outline() as outline:
            marks = {item.title: index[item.destination[0].objgen] for item in outline.root}
    assert [marks[c.title] for c in book.chapters] == [claimed[c.title] for c in book.chapters]
    contents = next(n for n in range(1, 12) if flat(page_text(pdfs[2], n)).startswith("Índice"))
    assert marks["Índice"] == contents and marks[book.title] == 3  # the title page follows the cover and its verso


def test_pdf_processes_setting(monkeypatch, caplog):
    monkeypatch.setenv("BUKO_PDF_PROCESSES", "1")
    assert pdf_processes() == 1 and WeasyPrintExporter().processes == 1
    monkeypatch.setenv("BUKO_PDF_PROCESSES", "64")
    assert pdf_processes() == 8
    monkeypatch.setenv("BUKO_PDF_PROCESSES", "two")
    assert pdf_processes() >= 1 and "BUKO_PDF_PROCESSES" in caplog.text


def test_print_interior_in_parts_keeps_crop_marks_on_blank_versos(tmp_path):
    book = spanish_book(words_per_chapter=700, chapters=5)
    cover = PillowCoverRenderer().render(book)
    paths = {}
    for processes in (1, 2):
        paths[processes] = tmp_path / f"interior-{processes}.pdf"
        paths[processes].write_bytes(WeasyPrintExporter(print_ready=True, bleed=True, processes=processes)
                                     .render(book, cover))
    pages = int(pdf_info(paths[1])["Pages"])
    assert pages == int(pdf_info(paths[2])["Pages"])
    blanks = [n for n in range(1, pages + 1) if not flat(page_text(paths[2], n))]
    assert blanks
    with pikepdf.open(paths[1]) as one, pikepdf.open(paths[2]) as parts:
        for number in blanks:
            assert not flat(page_text(paths[1], number))
            for pdf in (one, parts):  # the crop marks: a form drawn as an artifact, on the trim's boxes
                page = pdf.pages[number - 1]
                assert b"/Artifact" in page.obj.Contents.read_bytes() and "/XObject" in page.obj.Resources
            assert list(one.pages[number - 1].obj.TrimBox) == list(parts.pages[number - 1].obj.TrimBox)


def test_a_render_from_a_thread_forks_from_a_clean_server_and_gives_the_same_bytes():
    """Exports run in a thread of the worker (asyncio.to_thread): forking a threaded process could inherit a
    lock another thread holds, so workers then come from multiprocessing's fork server."""
    from concurrent.futures import ThreadPoolExecutor

    from buko.adapters.export.pdf_parallel import _context

    book = spanish_book(words_per_chapter=300, chapters=3)
    cover = PillowCoverRenderer().render(book)
    exporter = WeasyPrintExporter(processes=2)
    exporter.min_part_words = 0
    here = exporter.render(book, cover)
    assert exporter.last_report["parts"] == 3 and _context().get_start_method() == "fork"
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(lambda: _context().get_start_method()).result() == "forkserver"
        exporter = WeasyPrintExporter(processes=2)
        exporter.min_part_words = 0  # a part per chapter
        render = exporter.render

        def timed(*args):  # as observability wraps it: a local function on the instance, which cannot be pickled
            return render(*args)

        exporter.render = timed
        assert pool.submit(exporter.render, book, cover).result() == here
        assert exporter.last_report["processes"] == 2 and exporter.last_report["parts"] == 3


def test_a_worker_that_dies_falls_back_to_one_process(monkeypatch, caplog):
    from buko.adapters.export import pdf_parallel

    book = spanish_book(words_per_chapter=300, chapters=3)
    cover = PillowCoverRenderer().render(book)
    expected = WeasyPrintExporter(processes=1).render(book, cover)

    def dying(conn):
        import os
        os._exit(3)

    monkeypatch.setattr(pdf_parallel, "_serve", dying)
    exporter = WeasyPrintExporter(processes=2)
    exporter.min_part_words = 0
    assert exporter.render(book, cover) == expected
    assert exporter.last_report["processes"] == 1 and "rendering in one process" in caplog.text


def test_short_chapters_share_a_part_and_keep_their_own_numbers_and_links(tmp_path):
    """Each part embeds its own font subsets: chapters under `min_part_words` are grouped, and the contents,
    links and bookmarks still point at each chapter's own opener."""
    from buko.adapters.export.pdf_parallel import parts_of

    book = spanish_book(words_per_chapter=600, chapters=9)
    exporter = WeasyPrintExporter(processes=2)
    assert parts_of(book, exporter.min_part_words) == [[0, 1, 2, 3], [4, 5, 6, 7], [8]]  # ~650 words each
    cover = PillowCoverRenderer().render(book)
    paths = {processes: tmp_path / f"short-{processes}.pdf" for processes in (1, 2)}
    paths[1].write_bytes(WeasyPrintExporter(processes=1).render(book, cover))
    paths[2].write_bytes(exporter.render(book, cover))
    assert exporter.last_report["parts"] == 3
    pages = int(pdf_info(paths[1])["Pages"])
    assert pages == int(pdf_info(paths[2])["Pages"])
    for page in range(1, pages + 1):
        assert flat(page_text(paths[1], page)) == flat(page_text(paths[2], page)), page
    claimed = toc_pages(paths[2], [c.title for c in book.chapters], "Índice")
    with pikepdf.open(paths[2]) as pdf:
        index = {page.objgen: number for number, page in enumerate(pdf.pages, start=1)}
        with pdf.open_outline() as outline:
            marks = {item.title: index[item.destination[0].objgen] for item in outline.root}
    for chapter in book.chapters:
        opener = claimed[chapter.title]
        assert opener % 2 == 1 and marks[chapter.title] == opener
        assert flat(page_text(paths[2], opener)).upper().startswith(f"CAPÍTULO {chapter.number}")


def test_a_long_book_is_cut_into_about_two_parts_per_process_of_about_equal_length():
    from dataclasses import replace

    from buko.adapters.export.pdf_parallel import parts_of

    def book(*words):
        m = spanish_book(words_per_chapter=10, chapters=len(words))
        return replace(m, chapters=tuple(replace(c, markdown=" ".join(["palabra"] * n))
                                         for c, n in zip(m.chapters, words)))

    assert parts_of(book(*[3000] * 20), 2500, 4) == [list(range(i, i + 5)) for i in range(0, 20, 5)]
    # uneven chapters: each part ends at the chapter end nearest to a quarter of the 24,000 words
    assert parts_of(book(9000, 1000, 1000, 1000, 4000, 4000, 2000, 2000), 2500, 4) == [[0], [1, 2, 3], [4], [5, 6, 7]]
    assert parts_of(book(20000, 500, 500), 2500, 4) == [[0], [1, 2]]  # a long chapter is never cut
    assert parts_of(book(3000, 3000, 3000), 2500, 4) == [[0], [1], [2]]  # fewer parts than allowed: as they are
    assert [len(part) for part in parts_of(book(*[600] * 30), 2500, 4)] == [7, 8, 7, 8]  # ties: the earlier end
    assert len(parts_of(book(*[600] * 30), 2500)) == 6  # without a most: 5 chapters, 3,000 words, a part

