"""PDF export work counted in CPU instructions (valgrind's callgrind), for this tree and earlier revisions.

Seconds on this shared machine drift by up to 1.8x from one minute to the next; instruction counts do not
depend on what else runs. For each revision (and the working tree, "now") this renders the same book to PDF
in one process under `valgrind --tool=callgrind`, and counts a second run that only imports and builds the
book and its cover: the difference is the render's own instructions. Two revisions are counted at a time
(two cores). Slow: about 3 minutes a revision for the default 2-chapter, 6,000-word book.

    .venv/bin/python bench/export_instructions.py 55d47ce 3206ce8          # the revisions to compare with now
    .venv/bin/python bench/export_instructions.py --chapters 4 55d47ce

It says nothing about the parallel PDF (its time is the critical path of several processes): bench/export.py
measures that in seconds.
"""
from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_CHILD = """
import sys
sys.path[:0] = [{root!r}, {root!r} + "/src"]
from tests.fixtures.spanish_book import spanish_book
from buko.adapters.export.pdf import WeasyPrintExporter
from buko.adapters.export.cover import PillowCoverRenderer
book = spanish_book(words_per_chapter=3000, chapters={chapters})
cover = PillowCoverRenderer().render(book)
if {render}:
    one = {{"processes": 1}} if "processes" in WeasyPrintExporter.__init__.__code__.co_varnames else {{}}
    WeasyPrintExporter(**one).render(book, cover)
"""


def _extract(revision: str, folder: Path) -> Path:
    spec = importlib.util.spec_from_file_location("bench_export", ROOT / "bench" / "export.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.extract(revision, folder)


def _instructions(root: Path, chapters: int, render: bool, out: Path) -> int:
    script = out.with_suffix(".py")
    script.write_text(_CHILD.format(root=str(root), chapters=chapters, render=render))
    log = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
                          str(script)], capture_output=True, text=True, check=True).stderr
    return int(re.search(r"Collected : (\d+)", log)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revisions", nargs="*", help="git revisions to count besides the working tree")
    parser.add_argument("--chapters", type=int, default=2, help="chapters of 3,000 words (default 2)")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (Debian package valgrind)")
    folder = Path(tempfile.mkdtemp(prefix="buko-instructions-"))
    trees = {"now": ROOT, **{rev: _extract(rev, folder) for rev in args.revisions}}
    jobs = [(name, render) for name in trees for render in (True, False)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = dict(zip(jobs, pool.map(
            lambda job: _instructions(trees[job[0]], args.chapters, job[1], folder / f"{job[0]}-{job[1]}.out"),
            jobs)))
    first = args.revisions[0] if args.revisions else "now"
    reference = counts[(first, True)] - counts[(first, False)]
    print(f"PDF of a {args.chapters}-chapter book ({args.chapters * 3000:,} words), one process; "
          f"instructions of the render alone (whole run minus imports and book), ratio to {first}")
    for name in trees:
        own = counts[(name, True)] - counts[(name, False)]
        print(f"{name:>10}  {own / 1e9:7.2f} G  {own / reference:6.2f}x   (whole run {counts[(name, True)] / 1e9:.2f} G, "
              f"imports and book {counts[(name, False)] / 1e9:.2f} G)")
    print(f"callgrind files in {folder}")


if __name__ == "__main__":
    main()
