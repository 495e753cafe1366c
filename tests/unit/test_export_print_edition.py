"""The printer's files as one rule for the CLI and the API: which options each file takes, which exporter
renders it, what it is called, and the CLI's flags checked before any work."""
import pytest

from buko.application.books.exporting import ExportBookHandler, UnsupportedFormat
from buko.application.books.print_edition import (InvalidExportOptions, check_options, exporter_key, file_name,
                                                  print_files)
from buko.application.commands import ExportBook
from buko.entrypoints import cli
from tests.unit.test_export_use_case import CountingExporter, FixedCover, MemoryArtifacts, written_book


class Named(CountingExporter):
    extension = "pdf"

    def __init__(self, fmt: str, version: str):
        super().__init__()
        self.format, self.version = fmt, version


def test_each_option_belongs_to_one_file_and_papers_are_known():
    check_options("pdf-print", bleed=True)
    check_options("cover-pdf", paper="cream")
    check_options("pdf")
    with pytest.raises(InvalidExportOptions, match=r"bleed is an option of the print interior \(pdf-print\), not of epub"):
        check_options("epub", bleed=True)
    with pytest.raises(InvalidExportOptions, match="bleed is an option of the print interior"):
        check_options("cover-pdf", bleed=True)  # the cover always has its bleed
    with pytest.raises(InvalidExportOptions, match="paper is an option of the print cover"):
        check_options("pdf-print", paper="cream")
    with pytest.raises(InvalidExportOptions, match="unknown paper 'glossy'; use one of white, cream"):
        check_options("cover-pdf", paper="glossy")


def test_variants_keys_and_file_names():
    assert exporter_key("pdf-print") == "pdf-print" and exporter_key("pdf-print", bleed=True) == "pdf-print+bleed"
    assert exporter_key("cover-pdf", paper="white") == exporter_key("cover-pdf") == "cover-pdf"
    assert exporter_key("cover-pdf", paper="cream") == "cover-pdf+cream" and exporter_key("epub") == "epub"
    assert [file_name("bees", f) for f in ("pdf", "md", "pdf-print", "cover-pdf")] == [
        "bees.pdf", "bees.md", "bees-print.pdf", "bees-cover.pdf"]
    assert print_files(bleed=True, paper="cream") == [("pdf-print", True, ""), ("cover-pdf", False, "cream")]


@pytest.fixture
def variants():
    return {"pdf": Named("pdf", "1"), "pdf-print": Named("pdf-print", "1-print"),
            "pdf-print+bleed": Named("pdf-print", "1-print-bleed"), "cover-pdf": Named("cover-pdf", "1-white"),
            "cover-pdf+cream": Named("cover-pdf", "1-cream")}


async def test_the_use_case_picks_the_variant_and_names_the_file(app, variants):
    export = ExportBookHandler(app.uow, variants, FixedCover(), MemoryArtifacts())
    book_id = await written_book(app)
    interior = await export(ExportBook(book_id, "pdf-print", bleed=True))
    plain = await export(ExportBook(book_id, "pdf-print"))
    cream = await export(ExportBook(book_id, "cover-pdf", paper="cream"))
    white = await export(ExportBook(book_id, "cover-pdf", paper="white"))
    reading = await export(ExportBook(book_id, "pdf"))
    assert [v.renders for v in variants.values()] == [1, 1, 1, 1, 1]
    assert len({interior, plain, cream, white, reading}) == 5
    assert interior.startswith(f"{book_id}/the-quiet-garden-print-") and interior.endswith(".pdf")
    assert cream.startswith(f"{book_id}/the-quiet-garden-cover-") and reading.startswith(f"{book_id}/the-quiet-garden-")
    assert await export(ExportBook(book_id, "cover-pdf")) == white  # white is the default paper


async def test_the_use_case_refuses_options_a_file_does_not_take(app, variants):
    export = ExportBookHandler(app.uow, variants, FixedCover(), MemoryArtifacts())
    with pytest.raises(InvalidExportOptions, match="bleed is an option"):
        await export.cached(ExportBook("any", "pdf", bleed=True))
    with pytest.raises(InvalidExportOptions, match="unknown paper"):
        await export.cached(ExportBook("any", "cover-pdf", paper="glossy"))
    with pytest.raises(UnsupportedFormat, match="use one of cover-pdf, pdf, pdf-print$"):
        await export.cached(ExportBook("any", "pdf-print+bleed"))  # a variant's key is not a format


@pytest.mark.parametrize("argv, message", [
    (["export", "abcd", "--bleed"], "--bleed shapes the printer's files: add --print"),
    (["export", "abcd", "--bleed", "--paper", "cream"], "--bleed and --paper shape the printer's files: add --print"),
    (["write", "An idea long enough", "--print", "--formats", "epub"],
     "--print makes the printer's PDFs beside the reading copy: add pdf to --formats (e.g. --formats pdf,epub --print)"),
    (["resume", "abcd", "--paper", "white"], "--paper shapes the printer's files: add --print"),
])
def test_print_flags_are_checked_before_any_work(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("BUKO_DATA_DIR", str(tmp_path / "data"))
    assert cli.main([*argv, "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "data").exists() and not (tmp_path / "out").exists()


def test_unknown_paper_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["export", "abcd", "--print", "--paper", "glossy"])
    assert stopped.value.code == 2 and "invalid choice: 'glossy'" in capsys.readouterr().err


async def test_the_export_task_takes_every_field_the_queue_sends():
    """The queue sends `asdict(command)` as the task's keyword arguments (TaskiqTaskQueue.enqueue)."""
    from dataclasses import asdict

    from buko.entrypoints.worker import tasks

    calls = []

    class UseCases:
        def export_book(self):
            async def handler(cmd):
                calls.append(cmd)
            return handler

    sent = [ExportBook("book-1", "pdf-print", bleed=True), ExportBook("book-1", "cover-pdf", paper="cream"),
            ExportBook("book-1", "epub")]
    for command in sent:
        await tasks.export_book(**asdict(command), uc=UseCases())
    assert calls == sent


def test_a_content_key_takes_any_text():
    from dataclasses import replace

    from buko.application.books.exporting import content_key
    from tests.fixtures.hostile_book import hostile_book

    book = hostile_book()
    assert content_key(book, Named("pdf", "1")) != content_key(replace(book, title="Other"), Named("pdf", "1"))
