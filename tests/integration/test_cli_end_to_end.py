"""`buko write` as a newcomer runs it: one process, embedded defaults, three validated files."""
import os
import re
import subprocess
import sys
from pathlib import Path

import docx
import pytest

TITLES_RE = re.compile(r"^│\s+(\d+)\s+│\s+(.+?)\s+│", re.M)


def buko(*args: str, env: dict, cwd: Path, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "buko.entrypoints.cli", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "DATABASE_URL", "REDIS_URL"))}
    env.update(BUKO_DATA_DIR=str(home / "data"), COLUMNS="200")
    result = buko("write", "A practical guide to urban beekeeping on small balconies", "--chapters", "6",
                  "--words", "12000", "--out", str(home / "out"), "--parallel", "2", env=env, cwd=home)
    assert result.returncode == 0, result.stdout + result.stderr
    from buko.adapters.llm.offline import OfflineDemoWriter
    from buko.domain.books.brief import Brief

    arch = OfflineDemoWriter().plan(Brief(idea="A practical guide to urban beekeeping on small balconies",
                                          chapter_count=6, target_words=12000))
    return home, result, [c.title for c in arch.chapters], env


def the_file(home: Path, ext: str) -> Path:
    (path,) = (home / "out").glob(f"*.{ext}")
    return path


def test_the_run_reports_demo_text_words_and_files(written):
    home, result, titles, _ = written
    assert "offline demo writer" in result.stdout and "not AI" in result.stdout
    assert re.search(r"(1[12]\d{3}) words written of 12000 planned", result.stdout)
    for ext in ("pdf", "epub", "docx"):
        assert str(the_file(home, ext)) in result.stdout.replace("\n", "")


def test_pdf_has_pages_and_every_chapter_title(written):
    home, _, titles, _ = written
    pdf = the_file(home, "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 20
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    for title in titles:
        assert title in flat


def test_epub_passes_epubcheck(written):
    home, *_ = written
    check = subprocess.run(["java", "-jar", "/usr/share/java/epubcheck.jar", str(the_file(home, "epub"))],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No errors or warnings detected" in check.stdout + check.stderr or "0 errors" in check.stdout + check.stderr


def test_docx_has_a_heading_1_per_chapter(written):
    home, _, titles, _ = written
    document = docx.Document(str(the_file(home, "docx")))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == titles


def test_the_book_is_listed_and_a_second_export_is_cached(written):
    home, _, _, env = written
    listed = buko("books", env=env, cwd=home)
    assert listed.returncode == 0 and "written" in listed.stdout
    book_id = re.search(r"^│\s*([0-9a-f]{32})", listed.stdout, re.M).group(1)
    exports = home / "data" / "exports" / book_id
    before = sorted(p.name for p in exports.iterdir())
    again = buko("resume", book_id, "--out", str(home / "again"), env=env, cwd=home)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in exports.iterdir()) == before
    assert len(list((home / "again").iterdir())) == 3


def test_db_upgrade_reports_the_revision(written):
    home, _, _, env = written
    result = buko("db", "upgrade", env=env, cwd=home)
    assert result.returncode == 0 and "database at revision" in result.stdout


def test_a_killed_run_is_resumed_to_a_complete_book(tmp_path):
    """SIGKILL mid-book (no clean shutdown at all), then `buko resume` finishes and exports it."""
    import signal
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "DATABASE_URL", "REDIS_URL"))}
    env.update(BUKO_DATA_DIR=str(tmp_path / "data"), COLUMNS="200", PYTHONUNBUFFERED="1", BUKO_OFFLINE_WPS="400",
               BUKO_CHUNK_WORDS="500")
    run = subprocess.Popen(
        [sys.executable, "-m", "buko.entrypoints.cli", "write", "A short history of lighthouses and their keepers",
         "--chapters", "3", "--words", "3000", "--quiet", "--out", str(tmp_path / "out")],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    book_id = None
    for line in run.stdout:
        if match := re.search(r"Book ([0-9a-f]{32})", line):
            book_id = match.group(1)
            break
    assert book_id, "the run never announced its book"
    time.sleep(3)  # some chunks are written, one is in the middle
    run.send_signal(signal.SIGKILL)
    run.wait(10)
    assert not (tmp_path / "out").exists()

    env["BUKO_OFFLINE_WPS"] = "0"
    resumed = buko("resume", book_id, "--out", str(tmp_path / "out"), "--quiet", env=env, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert re.search(r"(3\d{3}|29\d\d) words written of 3000 planned", resumed.stdout)
    assert len(list((tmp_path / "out").iterdir())) == 3
