"""The author's CLI driven as a newcomer drives it: `buko` in a subprocess (a pseudo-terminal where it
asks questions or is interrupted), on the embedded defaults, from different current folders."""
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pexpect
import pytest

ID = re.compile(r"Book (?:\x1b\[[0-9;]*m)*([0-9a-f]{32})")  # bold on a terminal
QUESTION = "Approve it and write the book?"
EDITOR_SCRIPT = """
import pathlib, sys
path = pathlib.Path(sys.argv[1])
text = path.read_text()
count = pathlib.Path(sys.argv[0]).with_suffix(".count")
n = int(count.read_text()) if count.exists() else 0
count.write_text(str(n + 1))
first = [l for l in text.splitlines() if l.startswith("    title: ")][0]
if n == 0:  # a placeholder title: refused with the problems listed, the editor opens again
    path.write_text(text.replace(first, "    title: TBD", 1))
else:
    assert text.startswith("# PROBLEMS") and "placeholder" in text, text[:400]
    path.write_text(text.replace("    title: TBD", "    title: First Steps with Bees", 1))
"""


@pytest.fixture
def home(tmp_path):
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
    return tmp_path


def environment(home: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "DATABASE_URL", "REDIS_URL"))}
    env.update(BUKO_DATA_DIR=str(home / "data"), COLUMNS="200", BUKO_OFFLINE_WPS="0", PYTHONUNBUFFERED="1",
               BUKO_CHUNK_WORDS="600")
    env.update(extra)
    return env


def buko(home: Path, *args: str, cwd: str = "a", env: dict | None = None, timeout: int = 240):
    return subprocess.run([sys.executable, "-m", "buko.entrypoints.cli", *args], cwd=home / cwd,
                          env=env or environment(home), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def ok(result) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def editor(home: Path) -> str:
    script = home / "editor.py"
    script.write_text(EDITOR_SCRIPT)
    return f"{sys.executable} {script}"


def test_plan_edit_approve_write_export_regenerate_delete(home):
    idea = "A practical guide to urban beekeeping on small balconies"
    planned = ok(buko(home, "plan", idea, "--chapters", "3", "--words", "3000"))
    book_id = ID.search(planned).group(1)
    assert f"buko approve {book_id[:8]}" in planned

    edited = buko(home, "edit", book_id[:6], cwd="b", env=environment(home, EDITOR=editor(home)))
    assert "placeholder: 'TBD'" in ok(edited) and "Saved: architecture version 2" in edited.stdout
    shown = json.loads(ok(buko(home, "show", book_id[:6], "--json", cwd="c")))
    assert shown["status"] == "planned" and shown["architecture_version"] == 2
    assert shown["architecture"]["chapters"][0]["title"] == "First Steps with Bees"

    assert "Approved" in ok(buko(home, "approve", book_id[:8], cwd="b"))
    written = ok(buko(home, "write", "--book", book_id[:8], "--formats", "pdf,md", "--out", "../out", "--quiet"))
    stem = "a-practical-guide-to-urban-beekeeping-on-small-balconies"
    assert {p.name for p in (home / "out").iterdir()} == {f"{stem}.pdf", f"{stem}.md"}
    assert "First Steps with Bees" in (home / "out" / f"{stem}.md").read_text()
    assert "words written of 3000 planned" in written

    ok(buko(home, "export", book_id[:8], "--formats", "epub, md,md", "--out", "../out", cwd="b"))
    listed = json.loads(ok(buko(home, "books", "--json", cwd="c")))
    assert [(b["id"], b["status"]) for b in listed] == [(book_id, "written")]
    assert sorted(Path(f).name for f in listed[0]["files"]) == sorted([f"{stem}.epub", f"{stem}.md", f"{stem}.pdf"])
    table = ok(buko(home, "books", cwd="b"))
    assert book_id in table and idea in table  # whole id, whole title

    # A second book with the same title never overwrites the first one's files.
    second = ID.search(ok(buko(home, "plan", idea, "--chapters", "3", "--words", "3000"))).group(1)
    ok(buko(home, "approve", second[:8]))
    before = (home / "out" / f"{stem}.md").read_text()
    again = ok(buko(home, "write", "--book", second[:8], "--formats", "md", "--out", "../out", "--quiet"))
    assert "another book's file" in again
    assert (home / "out" / f"{stem}.md").read_text() == before
    assert (home / "out" / f"{stem}-{second[:8]}.md").exists()

    # A prefix that fits both books is refused with both named.
    common = os.path.commonprefix([book_id, second])
    if len(common) >= 4:
        assert "give more characters" in buko(home, "show", common).stderr

    regenerated = buko(home, "regenerate", book_id[:8], "--chunk", "0", "--quiet")
    assert "Writing chunk 0" in ok(regenerated)
    assert json.loads(ok(buko(home, "show", book_id[:8], "--json")))["status"] == "written"

    deleted = ok(buko(home, "delete", book_id[:8], "--yes", cwd="c"))
    assert f"Deleted book {book_id}" in deleted and "Your exported files stay" in deleted
    assert (home / "out" / f"{stem}.pdf").exists()
    gone = buko(home, "show", book_id)
    assert gone.returncode == 1 and "Traceback" not in gone.stderr and book_id in gone.stderr


@pytest.mark.parametrize("args, message", [
    (["write", "tiny"], "the idea must be at least 10 characters"),
    (["write", "A field guide to city birds", "--out", "afile"], "--out afile is a file, not a folder"),
    (["write", "A field guide to city birds", "--out", "/proc/buko"], "is not a folder Buko can write to"),
    (["write", "A field guide to city birds", "--parallel", "100"], "must be from 1 to 8, not 100"),
    (["write", "A field guide to city birds", "--formats", "pdf,rtf"], "unknown format 'rtf'"),
    (["write", "A field guide to city birds", "--words", "1000", "--chapters", "10"], "--words must allow"),
    (["write", "A field guide to city birds", "--style-sample", "missing.txt"], "cannot read the style sample"),
    (["plan", "A field guide to city birds", "--lang", "fr"], "invalid choice: 'fr'"),
    (["resume", "zz", "--out", "out"], "is not a book id"),
    (["export", "abcd", "--out", "afile"], "is a file, not a folder"),
])
def test_every_bad_argument_answers_before_any_book_exists(home, args, message):
    (home / "a" / "afile").write_text("not a folder")
    result = buko(home, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (home / "data").exists()  # no database, no book, nothing
    assert sorted(p.name for p in (home / "a").iterdir()) == ["afile"]


def spawn(home: Path, *args: str, **extra) -> pexpect.spawn:
    return pexpect.spawn(sys.executable, ["-m", "buko.entrypoints.cli", *args], cwd=str(home / "a"),
                         env=environment(home, **extra), encoding="utf-8", timeout=240, dimensions=(50, 200))


def test_ctrl_c_prints_one_line_with_the_real_book_id_and_resume_finishes(home):
    run = spawn(home, "write", "A short history of lighthouses and their keepers", "--chapters", "3",
                "--words", "3000", "--parallel", "2", "--quiet", "--out", "../out", BUKO_OFFLINE_WPS="150")
    run.expect(ID)
    book_id = run.match.group(1)
    run.expect("└")  # the architecture is shown: now it writes
    run.expect(pexpect.TIMEOUT, timeout=3)
    run.sendintr()
    run.expect(pexpect.EOF, timeout=60)
    run.close()
    after = [line.strip() for line in run.before.split("\n") if line.strip() and line.strip() != "^C"]
    after = [line for line in after if not set(line) <= set("│└─┘┴ ")]
    assert after == [f"buko: interrupted; book {book_id} is kept, continue it with: buko resume {book_id}"]
    assert run.exitstatus == 130
    assert not (home / "out").exists()

    listed = json.loads(ok(buko(home, "books", "--json", cwd="b")))
    assert [(b["id"], b["status"], b["stored_status"]) for b in listed] == [(book_id, "interrupted", "writing")]
    resumed = ok(buko(home, "resume", book_id[:10], "--out", "../out", "--quiet", cwd="c"))
    assert re.search(r"\d+ words written of 3000 planned", resumed)
    assert len(list((home / "out").iterdir())) == 3


def test_review_asks_edit_revise_then_approve(home):
    run = spawn(home, "write", "A practical guide to urban beekeeping on small balconies", "--review",
                "--chapters", "3", "--words", "3000", "--formats", "md", "--out", "../out", "--quiet",
                EDITOR=editor(home))
    run.expect(QUESTION)
    run.sendline("x")
    run.expect("Answer y, e, r or n.")
    run.expect(QUESTION)
    run.sendline("e")
    run.expect("Saved: architecture version 2")
    run.expect(QUESTION)
    run.sendline("r")
    run.expect("What should change?")
    run.sendline("Make the chapters more practical")
    run.expect("Revising the architecture")
    run.expect(QUESTION)
    run.sendline("y")
    run.expect(pexpect.EOF)
    run.close()
    assert run.exitstatus == 0, run.before
    (md,) = (home / "out").glob("*.md")
    assert "words written of 3000 planned" in run.before


def test_review_no_keeps_the_book_planned(home):
    run = spawn(home, "write", "A practical guide to urban beekeeping on small balconies", "--review",
                "--chapters", "3", "--words", "3000", "--out", "../out")
    run.expect(ID)
    book_id = run.match.group(1)
    run.expect(QUESTION)
    run.sendline("n")
    run.expect("Kept as planned")
    run.expect(pexpect.EOF)
    run.close()
    assert run.exitstatus == 0
    assert json.loads(ok(buko(home, "show", book_id[:8], "--json")))["status"] == "planned"


ENGLISH = ("Anonymous", "general readers", "clear and engaging", "Contents", "Chapter", "Copyright",
           "All rights reserved", "demo text", "offline writer", "not AI", "written by", "Cover", "Page",
           "non-fiction", "Table of")


def test_a_spanish_books_exports_carry_no_english_interface_word(home):
    ok(buko(home, "write", "Una guía práctica de apicultura urbana en balcones pequeños", "--lang", "es",
            "--chapters", "3", "--words", "3000", "--formats", "md,epub,docx,pdf", "--out", "../es", "--quiet"))
    files = {p.suffix: p for p in (home / "es").iterdir()}
    assert set(files) == {".md", ".epub", ".docx", ".pdf"}
    with zipfile.ZipFile(files[".epub"]) as epub:
        epub_text = " ".join(epub.read(n).decode() for n in epub.namelist() if n.endswith((".xhtml", ".html", ".ncx", ".opf")))
    texts = {
        "md": files[".md"].read_text(),
        "epub": re.sub(r"<[^>]+>", " ", epub_text),
        "docx": " ".join(p.text for p in docx.Document(str(files[".docx"])).paragraphs),
        "pdf": subprocess.run(["pdftotext", str(files[".pdf"]), "-"], capture_output=True, text=True, check=True).stdout,
    }
    for kind, text in texts.items():
        flat = " ".join(text.split())
        assert "Anónimo" in flat or kind == "pdf" and "Anónimo" in flat.replace("\u00ad", ""), kind
        found = [word for word in ENGLISH if re.search(rf"\b{re.escape(word)}\b", flat)]
        assert found == [], (kind, found)
