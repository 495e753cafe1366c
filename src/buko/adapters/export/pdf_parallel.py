"""A PDF book laid out in parallel: each chapter is a WeasyPrint document of its own, rendered in a pool of
processes, and the pieces are merged into one tagged PDF (pdf_merge.py), each as soon as it is drawn and
the front matter is known.

Folios and the table of contents need to know where each chapter starts. A worker lays its chapter out,
reports the page count and reads how many pages come before it, which the parent sends as soon as every
earlier chapter has reported (its own front matter is measured meanwhile), and the worker then draws its folios
from there (pdf_pages.py) and writes its PDF. Each chapter starts on a recto: a blank verso is added before a
chapter when the one before ends on a recto. Once every part's start page is known (all counts but the last
part's) the parent lays the front matter out again with the real page numbers in the contents, while the
workers finish the last parts (its layouts share one font configuration). A book is cut into about two parts
per process (the exporter's `parts_per_process`), of about equal length in words, at chapter ends: each part is
a document with its own set-up, stylesheet, fonts to embed and merge (a part per chapter was ~4 % slower for a
60,000-word book of 20 chapters), and two per process keep both processes busy to the end while the parent
lays out the front matter; a part that breaks a hyphenation limit is laid out again. Short chapters share a part
with the next ones whatever the count (the exporter's `min_part_words`): each part embeds its own font subsets,
so a book of many short chapters would otherwise grow.

Workers are forked from the calling process when it runs no other thread (cheap: WeasyPrint is already
imported), and from a clean fork server otherwise (a fork of a threaded process may inherit a held lock).
"""
from __future__ import annotations

import base64
import gc
import logging
import multiprocessing
import pickle
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate
from multiprocessing.connection import Connection, wait

import pyphen
from weasyprint.text.fonts import FontConfiguration

from buko.adapters.export import pdf_write
from buko.adapters.export.pdf_artifacts import mark_page_furniture
from buko.adapters.export.pdf_merge import Merger
from buko.adapters.export.pdf_pages import lay_out, parsed_css
from buko.domain.books.manuscript import Manuscript

log = logging.getLogger(__name__)
_PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
SILENCE_SECONDS = 900  # a worker that says nothing for this long is taken for stuck
# A worker's parts, up to this many words in all, are laid out with the cyclic garbage collector off and what
# they made (documents, garbage) is never freed: the worker ends with os._exit, which frees nothing object by
# object. Past it (a long book's worker) each part is freed after it is sent and garbage collected as usual.
KEEP_WORDS = 50_000


class WorkerFailed(RuntimeError):
    """A worker process failed or died while rendering a chapter."""


def _serve(conn: Connection, book: _PartsOf) -> None:
    """A worker: renders the parts it is sent (their chapters' indexes) until it is sent None. It builds each
    part's HTML itself, so the parent does not build them all before any worker can start (one thread: its
    parts share one font configuration, whose caches stay warm from part to part)."""
    gc.freeze()  # what the worker inherits from its parent is never garbage: not scanned by collections
    gc.set_threshold(pdf_write.GC_THRESHOLD, 20, 100)  # the worker lives for this render only
    font_config = FontConfiguration()
    m, css, variant, identifier = book.m, book.css, book.variant, book.m.book_id.encode()
    kept: list = []  # the parts' documents, while within KEEP_WORDS
    words = 0
    gc.disable()
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        index, group = message
        chapters = [m.chapters[i] for i in group]
        html = book.exporter_class.part_html(book.head, m, chapters)
        words += sum(len(c.markdown.split()) for c in chapters)
        if words > KEEP_WORDS and not gc.isenabled():
            kept.clear()
            gc.enable()
            gc.collect()

        clock = {"start": time.perf_counter()}

        def on_laid_out(pages: int, chapters: dict[str, int]) -> int:
            clock["laid"] = time.perf_counter()
            conn.send(("laid", index, pages, chapters))
            offset = conn.recv()
            if offset is None:  # the parent gave up on this book
                raise SystemExit(0)
            clock["answered"] = time.perf_counter()
            return offset

        try:
            laid = lay_out(html, variant, on_laid_out, css=css, font_config=font_config)
            mark_page_furniture(laid.document)
            data = laid.document.write_pdf(pdf_tags=True, pdf_variant=variant, pdf_identifier=identifier,
                                           custom_metadata=False)
            end = time.perf_counter()
            conn.send(("done", index, data, {
                "passes": laid.passes, "protected": sorted(w.word for w in laid.protected), "lines": laid.stats,
                "layout_s": clock["laid"] - clock["start"], "wait_s": clock["answered"] - clock["laid"],
                "write_s": end - clock["answered"]}))
            if not gc.isenabled():
                kept.append(laid)
            del laid
        except SystemExit:
            return
        except BaseException:  # noqa: BLE001 - reported to the parent, which raises
            conn.send(("error", index, traceback.format_exc()))
            return


def _context():
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


@dataclass(frozen=True)
class _PartsOf:
    """What a worker needs to build and lay out a book's parts; picklable (a fork server's workers get a copy),
    unlike an exporter, which may carry wrapped methods (observability's timers)."""

    m: Manuscript
    exporter_class: type
    head: str
    css: str
    variant: str | None


@dataclass
class _Worker:
    process: multiprocessing.Process
    conn: Connection
    index: int | None = None


@dataclass
class _Book:
    """Where each part starts, as the page counts come in (1-based page numbers, parts on rectos)."""

    parts: int
    front_pages: int | None = None
    counts: dict[int, int] = field(default_factory=dict)
    starts: list[int] = field(default_factory=list)

    def place(self) -> list[int]:
        """Parts whose start page became known: the front matter's and every earlier part's counts are in (a
        part's own count is not needed: the last part is placed before it is laid out)."""
        placed = []
        while (self.front_pages is not None and len(self.starts) < self.parts
               and (not self.starts or len(self.starts) - 1 in self.counts)):
            previous_end = self.starts[-1] + self.counts[len(self.starts) - 1] - 1 if self.starts else self.front_pages
            start = previous_end + 1
            self.starts.append(start + (start % 2 == 0))  # a recto; the verso before it stays blank
            placed.append(len(self.starts) - 1)
        return placed


def render_in_parts(exporter, m: Manuscript, cover_png: bytes, processes: int,
                    meanwhile: Callable[[], None] | None = None) -> bytes:
    """The book's PDF, its chapters laid out in `processes` processes and merged (see the module's doc);
    `meanwhile` is called once the workers have their first parts."""
    run = _Run(exporter, m, cover_png, processes)
    try:
        return run.render(processes, meanwhile)
    except (OSError, EOFError, pickle.PickleError) as failure:  # a pipe broke: a worker is gone
        raise WorkerFailed(f"{type(failure).__name__}: {failure}") from failure
    finally:
        _stop(run.workers)


class _Run:
    """One book rendered in parts: the workers, the chapters' page counts and start pages, their PDFs."""

    def __init__(self, exporter, m: Manuscript, cover_png: bytes, processes: int):
        self.exporter, self.m, self.cover_png = exporter, m, cover_png
        parts = exporter.parts_per_process
        self.groups = parts_of(m, exporter.min_part_words, parts * processes if parts else None)
        # "chapter-N" -> its page in its part: 1 for a part's first chapter, the others as the workers report them
        self.chapter_pages = {f"chapter-{m.chapters[group[0]].number}": 1 for group in self.groups}
        self.font_config = FontConfiguration()  # the parent's layouts share their font caches
        self.css = exporter.css(m)  # parsed once per process, not once per part
        self.workers: list[_Worker] = []
        self.todo = deque(range(len(self.groups)))
        self.book = _Book(len(self.groups))
        self.front_numbers: dict[int, str] | None = None
        self.answered: set[int] = set()  # parts whose worker was told the pages before them
        self.results: dict[int, bytes] = {}
        self.reports: dict[int, dict] = {}
        self.front: bytes | None = None

    def render(self, processes: int, meanwhile: Callable[[], None] | None) -> bytes:
        started = time.perf_counter()
        exporter, m = self.exporter, self.m
        context = _context()
        parts = _PartsOf(m, type(exporter), exporter.head(m, inline_style=False), self.css, exporter.variant)
        _load_hyphenation(m.language)  # forked workers inherit these instead of each making them again
        parsed_css(self.css)
        for _ in range(min(processes, len(self.groups))):
            conn, child = context.Pipe()
            process = context.Process(target=_serve, args=(child, parts), daemon=True, name="buko-pdf")
            try:
                process.start()
            except Exception as failure:  # noqa: BLE001 - e.g. what a fork server must be sent cannot be pickled
                child.close()
                conn.close()
                raise WorkerFailed(f"a PDF worker could not start: {type(failure).__name__}: {failure}") from failure
            child.close()
            self.workers.append(_Worker(process, conn))
        for worker in self.workers:
            self._dispatch(worker)
        if meanwhile is not None:
            meanwhile()
        # While the workers lay chapters out: how long the front matter is (the contents' numbers stand in as
        # wide placeholders; the cover is a full page whatever its picture, so a 1-pixel one stands in).
        digits = len(str(len(self.groups) * 40 + sum(len(c.markdown) for c in m.chapters) // 1500 + 100))
        placeholder = {c.number: "8" * digits for c in m.chapters}
        laid = lay_out(_front_html(exporter, m, _PIXEL, placeholder), exporter.variant, check_hyphens=False,
                       css=self.css, font_config=self.font_config)
        self.book.front_pages = len(laid.document.pages)
        blank = None
        if exporter.print_ready and exporter.bleed:  # blank versos keep the crop marks every page has
            blank = exporter.write(lay_out(_blank_html(exporter, m), exporter.variant, css=self.css,
                                           font_config=self.font_config).document, m)
        self._answer()
        merger = None
        while len(self.results) < len(self.groups):
            ready = wait([w.conn for w in self.workers if w.index is not None], timeout=SILENCE_SECONDS)
            if not ready:
                raise WorkerFailed(f"no word from the PDF workers in {SILENCE_SECONDS} s")
            for conn in ready:
                self._receive(next(w for w in self.workers if w.conn is conn))
            if self.front is None and self._numbers() is not None:
                self.front = self._final_front()  # while the workers lay out and draw the last parts
            if self.front is not None:  # merge the parts that are in while the others are drawn
                merger = self._merge_ready(merger or Merger(self.front, blank))
        _stop(self.workers)
        if self._numbers() != self.front_numbers:  # a part's first chapter did not start on its first page
            log.warning("PDF contents numbers changed once every part was laid out: contents laid out again")
            self.front, merger = self._final_front(), None
        merging = time.perf_counter()
        data = self._merge_ready(merger or Merger(self.front, blank)).finish()
        exporter.last_report = _report(self.reports, len(self.groups), processes, time.perf_counter() - started)
        exporter.last_report["merge_s"] = round(time.perf_counter() - merging, 3)  # what was left to merge
        return data

    def _merge_ready(self, merger: Merger) -> Merger:
        """Adds to `merger`, in order, the parts whose PDFs are in."""
        while merger.chapters < len(self.groups) and merger.chapters in self.results:
            merger.add(self.results[merger.chapters], self.book.starts[merger.chapters])
        return merger

    def _receive(self, worker: _Worker) -> None:
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            worker.process.join(timeout=1)
            raise WorkerFailed(f"a PDF worker died (exit code {worker.process.exitcode}) "
                               f"on part {worker.index + 1} of {len(self.groups)}") from None
        kind, index = message[0], message[1]
        if kind == "laid":
            self.book.counts[index] = message[2]
            self.chapter_pages.update(message[3])
            self._answer()
        elif kind == "done":
            self.results[index], self.reports[index] = message[2], message[3]
            worker.index = None
            self._dispatch(worker)
        else:
            raise WorkerFailed(f"part {index + 1} of {len(self.groups)}: {message[2]}")

    def _dispatch(self, worker: _Worker) -> None:
        if self.todo:
            worker.index = self.todo.popleft()
            worker.conn.send((worker.index, self.groups[worker.index]))
            self._answer()

    def _answer(self) -> None:
        """Tells each worker whose part is now placed how many pages come before it, as soon as that is known:
        the worker reads it once its layout is done (it is queued in the pipe if it comes earlier), so no
        worker waits while the parent lays out the front matter."""
        self.book.place()
        for worker in self.workers:
            index = worker.index
            if index is not None and index < len(self.book.starts) and index not in self.answered:
                self.answered.add(index)
                worker.conn.send(self.book.starts[index] - 1)

    def _numbers(self) -> dict[int, str] | None:
        """Chapter number -> the page printed in the contents, once every chapter's start page is known."""
        if len(self.book.starts) < len(self.groups):
            return None
        numbers = {}
        for part, group in enumerate(self.groups):
            for i in group:
                number = self.m.chapters[i].number
                local = self.chapter_pages.get(f"chapter-{number}")
                if local is None:
                    if part in self.book.counts:
                        raise WorkerFailed(f"chapter {number} was not found in its part's layout")
                    return None
                numbers[number] = str(self.book.starts[part] + local - 1)
        return numbers

    def _final_front(self) -> bytes:
        self.front_numbers = self._numbers()
        laid = lay_out(_front_html(self.exporter, self.m, self.cover_png, self.front_numbers), self.exporter.variant,
                       check_hyphens=False, css=self.css, font_config=self.font_config)
        if len(laid.document.pages) != self.book.front_pages:
            raise WorkerFailed("the contents changed length with the real page numbers")
        return self.exporter.write(laid.document, self.m)


def _load_hyphenation(language: str) -> None:
    """Parses the hyphenation patterns of the book's language (pyphen keeps them for the process, ~50 ms to
    parse for Spanish) if WeasyPrint will hyphenate with them and they are not loaded yet."""
    lang = language and pyphen.language_fallback(language)
    if lang:
        pyphen.Pyphen(lang=lang)


def parts_of(m: Manuscript, min_words: int, most: int | None = None) -> list[list[int]]:
    """Consecutive chapters (indexes) grouped into parts of at least `min_words` words (the last part may be
    shorter): a chapter of that length or more is a part of its own. With `most`, when that makes more parts,
    the chapters are grouped into at most `most` parts of about the same length instead: each part ends at the
    chapter end nearest to an equal share of the book's words."""
    groups: list[list[int]] = [[]]
    words = 0
    for i, chapter in enumerate(m.chapters):
        if groups[-1] and words >= min_words:
            groups.append([])
            words = 0
        groups[-1].append(i)
        words += len(chapter.markdown.split())
    if most is None or len(groups) <= most:
        return groups
    ends = list(accumulate(len(chapter.markdown.split()) for chapter in m.chapters))
    last = {min(range(len(ends) - 1), key=lambda i: (abs(ends[i] - ends[-1] * share / most), i))
            for share in range(1, most)}  # the last chapter of each part but the last
    starts = [0] + sorted(i + 1 for i in last) + [len(ends)]
    return [list(range(start, end)) for start, end in zip(starts, starts[1:])]


def _front_html(exporter, m: Manuscript, cover_png: bytes, pages: dict[int, str]) -> str:
    return exporter.head(m, inline_style=False) + exporter.front(m, cover_png, pages) + "</body></html>"


def _blank_html(exporter, m: Manuscript) -> str:
    """A page with nothing on it but what every page gets (crop marks): the cover page's type, without cover."""
    return exporter.head(m, inline_style=False) + '<section class="cover"></section></body></html>'


def _stop(workers: list[_Worker]) -> None:
    for worker in workers:
        try:
            worker.conn.send(None)
        except OSError:
            pass
    for worker in workers:
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        worker.conn.close()


def _report(reports: dict[int, dict], parts: int, processes: int, seconds: float) -> dict:
    lines = [r["lines"] for r in reports.values()]
    return {
        "processes": processes, "parts": parts, "seconds": round(seconds, 3),
        "relaid": sum(1 for r in reports.values() if r["passes"] > 1),
        "protected": sorted({w for r in reports.values() for w in r["protected"]}),
        "lines": sum(x["lines"] for x in lines), "hyphenated": sum(x["hyphenated"] for x in lines),
        "max_run": max((x["max_run"] for x in lines), default=0),
        "page_turns": sum(x["page_turns"] for x in lines),
        "page_turns_reset": sum(x.get("page_turns_reset", 0) for x in lines),
        **{key: round(sum(r[key] for r in reports.values()), 3) for key in ("layout_s", "wait_s", "write_s")},
    }
