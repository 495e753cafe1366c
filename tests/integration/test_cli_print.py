"""`--print`: the printer's files beside the reading copy, made by `buko write` and `buko export` in a
subprocess and measured with poppler: the interior has no cover page and the trim (+ bleed when asked) page
size; the cover spread is two trims + the spine (from the interior's page count and the paper) + bleed."""
from __future__ import annotations

import re
from pathlib import Path

from buko.adapters.export.pdf_style import BLEED_PT, TRIMS
from buko.adapters.export.print_cover import PAPER_MM
from tests.fixtures.export_checks import need, page_text, run
from tests.integration.test_cli_author import ID, buko, home, ok  # noqa: F401  (fixture)

IDEA = "A practical guide to urban beekeeping on small balconies"
STEM = "a-practical-guide-to-urban-beekeeping-on-small-balconies"
MM = 72 / 25.4


def boxes(path: Path) -> dict[str, tuple[float, float]]:
    """Width and height of each page box of the first page, and the page count."""
    info = run("pdfinfo", "-box", str(path)).stdout
    found = {"Pages": (float(re.search(r"Pages:\s+(\d+)", info)[1]), 0.0)}
    for box in ("MediaBox", "TrimBox", "BleedBox"):
        x0, y0, x1, y1 = (float(v) for v in re.search(rf"{box}:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", info).groups())
        found[box] = (x1 - x0, y1 - y0)
    return found


def close(size: tuple[float, float], width: float, height: float) -> bool:
    return abs(size[0] - width) < 0.6 and abs(size[1] - height) < 0.6


def test_write_and_export_with_print_make_the_printers_files_beside_the_reading_copy(home):
    need("pdfinfo")
    trim = TRIMS["A5"]
    written = ok(buko(home, "write", IDEA, "--chapters", "3", "--words", "3000", "--formats", "pdf,epub",
                      "--print", "--bleed", "--paper", "cream", "--out", "../out", "--quiet"))
    book_id = ID.search(written).group(1)
    out = home / "out"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{STEM}.pdf", f"{STEM}.epub", f"{STEM}-print.pdf", f"{STEM}-cover.pdf"])
    for name in (f"{STEM}-print.pdf", f"{STEM}-cover.pdf"):
        assert str(out / name) in " ".join(written.split())  # the summary lists them

    reading, interior = boxes(out / f"{STEM}.pdf"), boxes(out / f"{STEM}-print.pdf")
    pages = int(interior["Pages"][0])
    assert pages == reading["Pages"][0] - 2  # the cover page and its blank verso are not in the interior
    assert b"/Subtype /Image" in (out / f"{STEM}.pdf").read_bytes()
    assert b"/Subtype /Image" not in (out / f"{STEM}-print.pdf").read_bytes()
    assert "beekeeping" in page_text(out / f"{STEM}-print.pdf", 1)  # page 1 is the title page, not the cover
    assert "beekeeping" not in page_text(out / f"{STEM}.pdf", 1)  # the reading copy's cover is a picture
    assert close(reading["MediaBox"], trim.width, trim.height)
    assert close(interior["TrimBox"], trim.width, trim.height)
    assert close(interior["MediaBox"], trim.width + 2 * BLEED_PT, trim.height + 2 * BLEED_PT)
    assert abs(BLEED_PT - 3 * MM) < 0.01

    cover = boxes(out / f"{STEM}-cover.pdf")
    spine = pages * PAPER_MM["cream"] * MM
    assert cover["Pages"][0] == 1 and spine > 0
    assert close(cover["TrimBox"], 2 * trim.width + spine, trim.height)
    assert close(cover["MediaBox"], 2 * trim.width + spine + 2 * BLEED_PT, trim.height + 2 * BLEED_PT)

    # The same book again, without bleed and on white paper: its print files are replaced, nothing else moves.
    exported = ok(buko(home, "export", book_id[:8], "--formats", "pdf", "--print", "--out", "../out", cwd="b"))
    assert "another book's file" not in exported and len(list(out.iterdir())) == 4
    interior = boxes(out / f"{STEM}-print.pdf")
    assert interior["Pages"][0] == pages
    assert close(interior["MediaBox"], trim.width, trim.height) and close(interior["TrimBox"], trim.width, trim.height)
    cover = boxes(out / f"{STEM}-cover.pdf")
    assert close(cover["TrimBox"], 2 * trim.width + pages * PAPER_MM["white"] * MM, trim.height)
    assert PAPER_MM["white"] < PAPER_MM["cream"]


def test_print_flags_in_a_wrong_combination_are_refused_before_any_work(home):
    for args, message in (
        (("export", "abcd", "--formats", "epub", "--print"), "add pdf to --formats"),
        (("export", "abcd", "--bleed"), "--bleed shapes the printer's files: add --print"),
        (("write", IDEA, "--paper", "cream"), "--paper shapes the printer's files: add --print"),
    ):
        refused = buko(home, *args)
        assert refused.returncode == 2 and message in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert not (home / "data").exists()  # nothing was started
