"""Export benchmark: a 60,000-word, 20-chapter book to PDF, EPUB and DOCX, against pandoc on the same Markdown.

Each run is its own child process, so its peak memory (max RSS, from wait4) is its own. Buko's figures are
given twice: the whole process (interpreter start and imports included, as pandoc's are) and the render
alone (cover + exporter, timed inside the child). Medians over --repeat runs.

    .venv/bin/python bench/export.py [--repeat 5] [--words 60000] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPORTERS = {"pdf": "buko.adapters.export.pdf.WeasyPrintExporter", "epub": "buko.adapters.export.epub.EbookLibExporter",
             "docx": "buko.adapters.export.docx.PythonDocxExporter"}
TARGETS = {"pdf": "under 15 s and 400 MB", "epub": "at most 1.5x pandoc", "docx": "at most 1.5x pandoc"}


def book(words: int):
    sys.path.insert(0, str(ROOT))
    from tests.fixtures.spanish_book import spanish_book

    return spanish_book(words_per_chapter=words // 20, chapters=20)


def child(fmt: str, words: int, out: Path) -> None:
    """Runs in the child process: render one format once, print the render time."""
    import importlib

    from buko.adapters.export.cover import PillowCoverRenderer

    module, name = EXPORTERS[fmt].rsplit(".", 1)
    exporter = getattr(importlib.import_module(module), name)()  # only this format's libraries, as a worker would
    manuscript = book(words)
    started = time.perf_counter()
    data = exporter.render(manuscript, PillowCoverRenderer().render(manuscript))
    elapsed = time.perf_counter() - started
    out.write_bytes(data)
    print(json.dumps({"render": elapsed, "bytes": len(data)}))


def measure(argv: list[str]) -> dict:
    """Wall seconds and peak RSS (MB) of one child process, plus whatever JSON it printed."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {err.decode()[-2000:]}")
    last = out.decode().strip().splitlines()[-1:] if out.strip() else []
    extra = json.loads(last[0]) if last and last[0].startswith("{") else {}
    return {"wall": wall, "rss_mb": usage.ru_maxrss / 1024, **extra}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--words", type=int, default=60_000)
    parser.add_argument("--keep", type=Path, help="folder to keep the files in")
    parser.add_argument("--child", choices=["pdf", "epub", "docx"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.words, args.out)

    pandoc = shutil.which("pandoc")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="buko-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    from buko.adapters.export.cover import PillowCoverRenderer
    from buko.adapters.export.markdown import MarkdownExporter

    manuscript = book(args.words)
    words = sum(len(c.markdown.split()) for c in manuscript.chapters)
    source = folder / "book.md"
    source.write_bytes(MarkdownExporter().render(manuscript, b""))
    (folder / "cover.png").write_bytes(PillowCoverRenderer().render(manuscript))
    version = "no pandoc"
    if pandoc:
        version = subprocess.run([pandoc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"book: {len(manuscript.chapters)} chapters, {words} words; {args.repeat} runs each; "
          f"python {sys.version.split()[0]}, {version}")
    print(f"{'format':6} {'process s':>9} {'render s':>9} {'peak MB':>8} {'pandoc s':>9} {'pandoc MB':>9} "
          f"{'ratio':>6} {'render ratio':>12}  target")
    for fmt in ("pdf", "epub", "docx"):
        runs, theirs = [], []
        for _ in range(args.repeat):
            out = folder / f"buko.{fmt}"
            argv = [sys.executable, __file__, "--child", fmt, "--words", str(args.words), "--out", str(out)]
            runs.append(measure(argv))
            if pandoc and fmt != "pdf":
                cover = ["--epub-cover-image", str(folder / "cover.png")] if fmt == "epub" else []
                theirs.append(measure([pandoc, str(source), *cover, "-o", str(folder / f"pandoc.{fmt}")]))
        report(fmt, runs, theirs)
    print(f"files in {folder}")


def report(fmt: str, runs: list[dict], theirs: list[dict]) -> None:
    def median(rows: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    wall, render, rss = median(runs, "wall"), median(runs, "render"), median(runs, "rss_mb")
    cells = [f"{fmt:6}", f"{wall:9.2f}", f"{render:9.2f}", f"{rss:8.0f}"]
    if theirs:
        their_wall = median(theirs, "wall")
        cells += [f"{their_wall:9.2f}", f"{median(theirs, 'rss_mb'):9.0f}",
                  f"{wall / their_wall:5.2f}x", f"{render / their_wall:11.2f}x"]
    else:
        cells += [f"{'-':>9}", f"{'-':>9}", f"{'-':>6}", f"{'-':>12}"]
    print(" ".join(cells) + f"  {TARGETS[fmt]}")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
