"""The author's CLI without services: argument checks, flag-worded errors, the edit document and its
checks, file naming, the one-line interrupt and the work lock."""
import argparse
import logging
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from rich.console import Console

from buko.adapters.llm.offline import OfflineDemoWriter
from buko.domain.books.book import Book, BookStatus
from buko.domain.books.brief import Brief
from buko.domain.errors import InvalidArchitecture
from buko.entrypoints import cli_args, cli_editing
from buko.entrypoints.cli import main
from buko.entrypoints.cli_files import ExportRecord
from buko.entrypoints.cli_interrupt import interrupted_line
from buko.entrypoints.cli_liveness import someone_works_here
from buko.entrypoints.cli_model_notice import ModelFailureNotice


def planned_book(language: str = "en") -> Book:
    brief = Brief(idea="A practical guide to urban beekeeping on small balconies", chapter_count=3,
                  target_words=3000, language=language)
    return Book(id="ab" * 16, owner_id="u", brief=brief, created_at=datetime.now(timezone.utc),
                status=BookStatus.PLANNED, architecture=OfflineDemoWriter().plan(brief), architecture_version=4)


def test_formats_ignore_spaces_case_and_repeats():
    assert cli_args.formats("md,md, PDF,.epub") == ["md", "pdf", "epub"]
    with pytest.raises(argparse.ArgumentTypeError, match="unknown format 'rtf'"):
        cli_args.formats("pdf,rtf")
    with pytest.raises(argparse.ArgumentTypeError, match="at least one format"):
        cli_args.formats(" , ")


@pytest.mark.parametrize("text, message", [("0", "from 1 to 8, not 0"), ("100", "from 1 to 8, not 100"),
                                           ("two", "'two' is not a whole number")])
def test_parallel_is_bounded_by_the_domains_lanes(text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        cli_args.lanes(text)


def test_book_ids_and_prefixes():
    assert cli_args.book_ref(" 3F2A9 ") == "3f2a9"
    for bad in ("3f2", "xyz12", "3f2a-9"):
        with pytest.raises(argparse.ArgumentTypeError, match="is not a book id"):
            cli_args.book_ref(bad)


def test_out_must_be_a_writable_folder_and_nothing_is_left_behind(tmp_path):
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(cli_args.UsageError, match="is a file, not a folder"):
        cli_args.check_out_dir(tmp_path / "a-file")
    with pytest.raises(cli_args.UsageError, match="is a file, not a folder"):
        cli_args.check_out_dir(tmp_path / "a-file" / "inside")
    with pytest.raises(cli_args.UsageError, match="not a folder Buko can write to"):
        cli_args.check_out_dir(Path("/proc/buko-out"))
    assert cli_args.check_out_dir(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # tried, then removed again


def test_brief_errors_speak_the_flags_language():
    args = argparse.Namespace(idea="A field guide to city birds", genre=None, audience=None, tone=None, lang="en",
                              words=1000, chapters=10, author=None, trim_size="A5", style_sample=None)
    with pytest.raises(cli_args.UsageError) as refused:
        cli_args.brief_from(args)
    assert str(refused.value) == "--words must allow at least 200 words per chapter"
    assert "target_words" not in cli_args.in_flags_words("target_words must be between 1000 and 200000")
    assert cli_args.in_flags_words("chapter_count must be between 1 and 60") == "--chapters must be between 1 and 60"


def test_a_spanish_brief_gets_spanish_defaults():
    args = argparse.Namespace(idea="Una guía de apicultura urbana", genre=None, audience=None, tone=None, lang="es",
                              words=3000, chapters=3, author=None, trim_size="A5", style_sample=None)
    brief = cli_args.brief_from(args)
    assert (brief.genre, brief.audience, brief.tone, brief.author) == (
        "no ficción", "lectores en general", "claro y ameno", "Anónimo")


@pytest.mark.parametrize("fmt", ["yaml", "toml"])
def test_the_edit_document_round_trips_with_comments(fmt):
    book = planned_book("es")
    text = cli_editing.FORMATS[fmt][0](book)
    assert "# Architecture of book" in text and "3000 words ±10%" in text and "chapter 1: 1000 words" in text
    assert cli_editing.parse(text, fmt, book) == book.architecture  # the language comes from the book


def test_the_domains_problems_are_listed_for_an_edit():
    book = planned_book()
    text = cli_editing.to_yaml(book).replace(f"title: {book.architecture.chapters[0].title}", "title: TBD", 1)
    with pytest.raises(InvalidArchitecture) as wrong:
        cli_editing.parse(text, "yaml", book)
    assert wrong.value.problems == book.architecture.__class__.from_dict(
        {**cli_editing.from_yaml(text), "language": "en"}).problems(3000)
    assert any("placeholder" in p for p in wrong.value.problems)


@pytest.mark.parametrize("text, problem", [
    ("title: [unclosed", "not valid YAML"),
    ("- just a list", "must hold the architecture's fields"),
    ("title: A\nchapters:\n  - number: one\n    title: X\n    sections: []\n", "number must be a whole number"),
    ("title: A\nchapters:\n  - number: 1\n    title: X\n    sections:\n      - title: S\n        words: many\n",
     "words must be a whole number"),
])
def test_a_broken_document_says_where(text, problem):
    with pytest.raises(InvalidArchitecture) as wrong:
        cli_editing.parse(text, "yaml", planned_book())
    assert any(problem in p for p in wrong.value.problems)


def test_the_editor_reopens_with_the_problems_until_valid():
    book, seen = planned_book(), []
    first_title = book.architecture.chapters[0].title

    def editor(path: Path) -> None:
        text = path.read_text()
        seen.append(text)
        if len(seen) == 1:
            path.write_text(text.replace(f"title: {first_title}", "title: TBD", 1))
        else:
            path.write_text(text.replace("title: TBD", "title: Bees at Home", 1))

    edited = cli_editing.edit_loop(book, "yaml", Console(file=open(os.devnull, "w")), edit=editor)
    assert edited.chapters[0].title == "Bees at Home"
    assert seen[1].startswith("# PROBLEMS") and "placeholder: 'TBD'" in seen[1]


@pytest.mark.parametrize("change", [lambda text: text, lambda text: "   \n"])
def test_no_change_or_an_empty_file_abandons_the_edit(change):
    def editor(path: Path) -> None:
        path.write_text(change(path.read_text()))

    with pytest.raises(cli_editing.EditAbandoned):
        cli_editing.edit_loop(planned_book(), "toml", Console(file=open(os.devnull, "w")), edit=editor)


def test_another_books_file_is_never_overwritten(tmp_path):
    record, out = ExportRecord(tmp_path / "data"), tmp_path / "out"
    out.mkdir()
    source = tmp_path / "rendered.pdf"
    source.write_bytes(b"first")
    target, note = record.target(out, "Bees: a Guide!", "pdf", "a" * 32)
    assert target.name == "bees-a-guide.pdf" and note == ""
    record.copy(source, target, "a" * 32)
    assert record.target(out, "Bees: a Guide!", "pdf", "a" * 32) == (target, "")  # the same book: replaced
    other, note = record.target(out, "Bees: a Guide!", "pdf", "b" * 32)
    assert other.name == "bees-a-guide-bbbbbbbb.pdf" and "another book's file" in note
    (out / "mine.md").write_text("the author's own file")
    assert record.target(out, "mine", "md", "a" * 32)[0].name == "mine-aaaaaaaa.md"
    assert record.files_of("a" * 32) == [str(target.resolve())]
    assert record.forget("a" * 32) == [str(target.resolve())] and record.files_of("a" * 32) == []
    assert target.read_bytes() == b"first"  # forgetting never deletes the author's files


def test_the_interrupt_line_names_the_real_book():
    line = interrupted_line("0123456789abcdef0123456789abcdef")
    assert "buko resume 0123456789abcdef0123456789abcdef" in line and "BOOK_ID" not in line
    assert "\n" not in line


def test_a_model_failure_is_told_once_with_url_error_and_how_to_stop(capsys):
    settings = argparse.Namespace(anthropic_base_url="http://127.0.0.1:9", model_max_wait_seconds=1800)
    notice = ModelFailureNotice(settings)
    logger = logging.getLogger("test.cli.notice")
    logger.addHandler(notice)
    logger.propagate = False
    for _ in range(3):
        logger.warning("Claude call failed (%r); retrying", ConnectionRefusedError("refused"))
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert "http://127.0.0.1:9" in lines[0] and "ConnectionRefusedError" in lines[0]
    assert "30 min" in lines[0] and "Ctrl-C stops" in lines[0]


def test_the_work_lock_dies_with_its_process(tmp_path):
    assert not someone_works_here(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from buko.entrypoints.cli_liveness import hold_work_lock; "
        f"hold_work_lock({str(tmp_path)!r}); print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert someone_works_here(tmp_path)
    finally:
        holder.kill()
        holder.wait(10)
    deadline = time.monotonic() + 5
    while someone_works_here(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not someone_works_here(tmp_path)


@pytest.mark.parametrize("argv, message", [
    (["write"], "give the idea in quotes"),
    (["write", "A field guide to city birds", "--book", "abcd"], "not both"),
    (["write", "A field guide to city birds", "--review"], "run it in a terminal"),
    (["write", "--book", "abcd", "--review"], "--review is for a new idea"),
    (["delete", "abcd"], "add --yes"),
])
def test_usage_errors_exit_2_before_any_work(argv, message, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("BUKO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert main([*argv, "--out", str(tmp_path / "out")] if argv[0] == "write" else argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "data").exists() and not (tmp_path / "out").exists()


def test_help_describes_every_option_with_its_default_and_limits(capsys):
    with pytest.raises(SystemExit):
        main(["write", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for expected in ("--chapters N number of chapters, 1 to 60 (default: 6)", "(default: buko-out)",
                     "1 to 8", "(default: pdf,epub,docx)", "--author", "--genre", "--audience", "--tone", "--lang"):
        assert expected in text
    with pytest.raises(SystemExit):
        main(["resume", "--help"])
    assert "Picks the book up where it stopped" in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("buko ")
