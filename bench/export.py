"""Export benchmark: a 60,000-word, 20-chapter book to PDF, EPUB and DOCX, against pandoc and an earlier Buko.

Each run is its own child process, so its peak memory (max RSS, from wait4) is its own. Buko's figures are
given twice: the whole process (interpreter start and imports included, as pandoc's are) and the render
alone (cover + exporter, timed inside the child). With --baseline REV the same book is also rendered by the
exporters of git revision REV (extracted to a temporary folder), run for run interleaved with the current
ones, so both see the same machine load: on a shared machine only ratios measured in one run mean anything.
Medians over --repeat runs; the load average is printed before and after each format.

    .venv/bin/python bench/export.py [--repeat 5] [--words 60000] [--baseline 55d47ce] [--keep DIR]
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
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPORTERS = {"pdf": "buko.adapters.export.pdf.WeasyPrintExporter", "epub": "buko.adapters.export.epub.EbookLibExporter",
             "docx": "buko.adapters.export.docx.PythonDocxExporter"}
TARGETS = {"pdf": "half the baseline's time", "epub": "at most 1.0x pandoc", "docx": "at most 1.0x pandoc"}


def book(words: int):
    from tests.fixtures.spanish_book import spanish_book

    return spanish_book(words_per_chapter=words // 20, chapters=20)


def child(fmt: str, words: int, out: Path, source: Path | None) -> None:
    """Runs in the child process: render one format once with the code in `source` (or this tree)."""
    sys.path.insert(0, str(source or ROOT))
    if source:
        sys.path.insert(0, str(source / "src"))
    import importlib

    from buko.adapters.export.cover import PillowCoverRenderer

    module, name = EXPORTERS[fmt].rsplit(".", 1)
    exporter = getattr(importlib.import_module(module), name)()  # only this format's libraries, as a worker would
    manuscript = book(words)
    started = time.perf_counter()
    data = exporter.render(manuscript, PillowCoverRenderer().render(manuscript))
    elapsed = time.perf_counter() - started
    out.write_bytes(data)
    report = getattr(exporter, "last_report", None) or {}
    report["workers_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"render": elapsed, "bytes": len(data), "module": importlib.import_module(module).__file__,
                      "report": report}))


def measure(argv: list[str], env: dict | None = None) -> dict:
    """Wall seconds and peak RSS (MB) of one child process, plus whatever JSON it printed."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            env={**os.environ, **(env or {})})
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {err.decode()[-2000:]}")
    last = out.decode().strip().splitlines()[-1:] if out.strip() else []
    extra = json.loads(last[0]) if last and last[0].startswith("{") else {}
    # The child's peak RSS (with PDF workers, wait4 reports the largest of the child and its workers; the
    # child reports its workers' peak itself as "workers_mb").
    return {"wall": wall, "rss_mb": usage.ru_maxrss / 1024, **extra}


def extract(revision: str, folder: Path) -> Path:
    """The exporters (src) and fixtures of `revision`, for the baseline runs."""
    archive = subprocess.run(["git", "archive", "--format=tar", revision, "src", "tests/fixtures"], cwd=ROOT,
                             capture_output=True, check=True).stdout
    target = folder / f"baseline-{revision}"
    with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    (target / "tests" / "__init__.py").touch()
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--words", type=int, default=60_000)
    parser.add_argument("--formats", default="pdf,epub,docx")
    parser.add_argument("--baseline", help="git revision whose exporters are measured in the same run")
    parser.add_argument("--keep", type=Path, help="folder to keep the files in")
    parser.add_argument("--serial", action="store_true",
                        help="also render the PDF in one process (BUKO_PDF_PROCESSES=1), run for run with the others")
    parser.add_argument("--child", choices=["pdf", "epub", "docx"], help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.words, args.out, args.source)

    sys.path.insert(0, str(ROOT))
    pandoc = shutil.which("pandoc")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="buko-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    baseline = extract(args.baseline, folder) if args.baseline else None
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
          f"python {sys.version.split()[0]}, {version}; baseline: {args.baseline or 'none'}; {os.cpu_count()} CPUs")
    print(f"{'format':9} {'process s':>9} {'render s':>9} {'peak MB':>8} {'÷pandoc':>8} {'render÷pandoc':>13} "
          f"{'÷baseline':>9} {'s/10k words':>11}  load avg (1 min) before→after  target")
    for fmt in args.formats.split(","):
        load_before = os.getloadavg()[0]
        runs: dict[str, list[dict]] = {"now": [], "serial": [], "baseline": [], "pandoc": []}
        for i in range(args.repeat):
            # One run of each kind in turn, the order reversed every other round: a drift in the machine's speed
            # then weighs on every kind alike, and each round's ratios compare runs minutes apart at most.
            order = (("baseline", baseline), ("serial", None), ("now", None))
            for kind, code in (order if i % 2 == 0 else order[::-1]):
                if (kind == "baseline" and code is None) or (kind == "serial" and not (args.serial and fmt == "pdf")):
                    continue
                argv = [sys.executable, __file__, "--child", fmt, "--words", str(args.words),
                        "--out", str(folder / f"{kind}.{fmt}")] + (["--source", str(code)] if code else [])
                runs[kind].append(measure(argv, {"BUKO_PDF_PROCESSES": "1"} if kind == "serial" else None))
            if pandoc and fmt != "pdf":
                cover = ["--epub-cover-image", str(folder / "cover.png")] if fmt == "epub" else []
                runs["pandoc"].append(measure([pandoc, str(source), *cover, "-o", str(folder / f"pandoc.{fmt}")]))
        report(fmt, runs, words, load_before, os.getloadavg()[0])
    print(f"files in {folder}")


def report(fmt: str, runs: dict[str, list[dict]], words: int, load_before: float, load_after: float) -> None:
    def median(rows: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    for kind in ("baseline", "serial", "now"):
        rows = runs[kind]
        if not rows:
            continue
        wall, render, rss = median(rows, "wall"), median(rows, "render"), median(rows, "rss_mb")
        name = fmt + {"now": "", "serial": " (1 proc)", "baseline": " (base)"}[kind]
        cells = [f"{name:9}", f"{wall:9.2f}", f"{render:9.2f}", f"{rss:8.0f}"]
        if runs["pandoc"]:
            theirs = median(runs["pandoc"], "wall")
            cells += [f"{wall / theirs:7.2f}x", f"{render / theirs:12.2f}x"]
        else:
            cells += [f"{'-':>8}", f"{'-':>13}"]
        if kind != "baseline" and runs["baseline"]:
            cells.append(f"{render / median(runs['baseline'], 'render'):8.2f}x")
        else:
            cells.append(f"{'-':>9}")
        spread = f"{min(r['render'] for r in rows):.2f}-{max(r['render'] for r in rows):.2f}"
        cells.append(f"{render / words * 10_000:11.2f}")
        cells.append(f"  {load_before:5.2f}→{load_after:5.2f}")
        print(" ".join(cells) + (f"  {TARGETS[fmt]}" if kind == "now" else ""))
        paired = ""
        if kind != "baseline" and len(runs["baseline"]) == len(rows):
            ratios = sorted(r["render"] / b["render"] for r, b in zip(rows, runs["baseline"]))
            paired = (f"; ÷baseline round by round: median {statistics.median(ratios):.2f}x "
                      f"(range {ratios[0]:.2f}-{ratios[-1]:.2f})")
        each = " ".join(f"{r['render']:.2f}" for r in rows)
        print(f"{'':9} render s of each run: {each} (range {spread}){paired}")
        last = rows[-1].get("report") or {}
        if last.get("lines"):
            print(f"{'':9} {last.get('processes', 1)} process(es), {last.get('parts', 1)} part(s), "
                  f"{last.get('relaid', 0)} laid out again for the hyphenation limits; hyphenated "
                  f"{last['hyphenated']} of {last['lines']} lines ({last['hyphenated'] / last['lines']:.1%}), "
                  f"longest run {last['max_run']}, at a page turn {last['page_turns']}; "
                  f"{rows[-1].get('bytes', 0) / 1e6:.2f} MB file; largest worker {last.get('workers_mb', 0):.0f} MB")
    if runs["pandoc"]:
        print(f"{'pandoc':9} {median(runs['pandoc'], 'wall'):9.2f} {'':9} {median(runs['pandoc'], 'rss_mb'):8.0f}")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
