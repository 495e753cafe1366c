"""A PDF book laid out in parallel: each chapter is a WeasyPrint document of its own, rendered in a pool of
processes, and the pieces are merged into one tagged PDF (pdf_merge.py).

Folios and the table of contents need to know where each chapter starts. A worker lays its chapter out,
reports the page count and waits; the parent answers with the pages before that chapter as soon as every
earlier chapter has reported (its own front matter is measured meanwhile), and the worker then draws its folios
from there (pdf_pages.py) and writes its PDF. Each chapter starts on a recto: a blank verso is added before a
chapter when the one before ends on a recto. Once every count is known the parent lays the front matter out
again with the real page numbers in the contents. One chapter per task keeps both processes busy and means a
chapter that breaks a hyphenation limit is laid out again alone.

Workers are forked from the calling process when it runs no other thread (cheap: WeasyPrint is already
imported), and from a clean fork server otherwise (a fork of a threaded process may inherit a held lock).
"""
from __future__ import annotations

import base64
import logging
import multiprocessing
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

from buko.adapters.export.pdf_artifacts import mark_page_furniture
from buko.adapters.export.pdf_merge import merge
from buko.adapters.export.pdf_pages import lay_out
from buko.domain.books.manuscript import Manuscript

log = logging.getLogger(__name__)
_PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
SILENCE_SECONDS = 900  # a worker that says nothing for this long is taken for stuck


class WorkerFailed(RuntimeError):
    """A worker process failed or died while rendering a chapter."""


def _serve(conn: Connection) -> None:
    """A worker: renders the chapters it is sent until it is sent None."""
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        index, html, variant, identifier = message

        clock = {"start": time.perf_counter()}

        def on_laid_out(pages: int) -> int:
            clock["laid"] = time.perf_counter()
            conn.send(("laid", index, pages))
            offset = conn.recv()
            clock["answered"] = time.perf_counter()
            return offset

        try:
            laid = lay_out(html, variant, on_laid_out)
            mark_page_furniture(laid.document)
            data = laid.document.write_pdf(pdf_tags=True, pdf_variant=variant, pdf_identifier=identifier,
                                           custom_metadata=False)
            end = time.perf_counter()
            conn.send(("done", index, data, {
                "passes": laid.passes, "protected": sorted(w.word for w in laid.protected), "lines": laid.stats,
                "layout_s": clock["laid"] - clock["start"], "wait_s": clock["answered"] - clock["laid"],
                "write_s": end - clock["answered"]}))
        except BaseException:  # noqa: BLE001 - reported to the parent, which raises
            conn.send(("error", index, traceback.format_exc()))
            return


def _context():
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


@dataclass
class _Worker:
    process: multiprocessing.Process
    conn: Connection
    index: int | None = None


@dataclass
class _Book:
    """Where each chapter starts, as the page counts come in (1-based page numbers, chapters on rectos)."""

    front_pages: int | None = None
    counts: dict[int, int] = field(default_factory=dict)
    starts: list[int] = field(default_factory=list)

    def place(self) -> list[int]:
        """Chapters whose start page became known (their own count and every earlier chapter's are in)."""
        placed = []
        while self.front_pages is not None and len(self.starts) in self.counts:
            previous_end = self.starts[-1] + self.counts[len(self.starts) - 1] - 1 if self.starts else self.front_pages
            start = previous_end + 1
            self.starts.append(start + (start % 2 == 0))  # a recto; the verso before it stays blank
            placed.append(len(self.starts) - 1)
        return placed


def render_in_parts(exporter, m: Manuscript, cover_png: bytes, processes: int) -> bytes:
    """The book's PDF, its chapters laid out in `processes` processes and merged (see the module's doc)."""
    started = time.perf_counter()
    parts = [exporter.part(m, c) for c in m.chapters]
    identifier = m.book_id.encode()
    context = _context()
    workers: list[_Worker] = []
    todo = deque(range(len(parts)))
    book = _Book()
    results: dict[int, bytes] = {}
    reports: dict[int, dict] = {}
    try:
        for _ in range(min(processes, len(parts))):
            conn, child = context.Pipe()
            process = context.Process(target=_serve, args=(child,), daemon=True, name="buko-pdf")
            process.start()
            child.close()
            workers.append(_Worker(process, conn))
        for worker in workers:
            _dispatch(worker, todo, parts, exporter.variant, identifier)
        digits = len(str(len(parts) * 40 + sum(len(c.markdown) for c in m.chapters) // 1500 + 100))
        placeholder = {c.number: "8" * digits for c in m.chapters}
        # The cover is a full page whatever its picture: a 1-pixel stand-in spares decoding it twice.
        front = lay_out(_front_html(exporter, m, _PIXEL, placeholder), exporter.variant, check_hyphens=False)
        book.front_pages = len(front.document.pages)
        blank = None
        if exporter.print_ready and exporter.bleed:  # blank versos keep the crop marks every page has
            blank = exporter.write(lay_out(_blank_html(exporter, m), exporter.variant).document, m)
        waiting: dict[int, _Worker] = {}
        _answer(book, waiting)
        final_front: bytes | None = None
        while len(results) < len(parts):
            busy = [w.conn for w in workers if w.index is not None]
            ready = wait(busy, timeout=SILENCE_SECONDS)
            if not ready:
                raise WorkerFailed(f"no word from the PDF workers in {SILENCE_SECONDS} s")
            for conn in ready:
                worker = next(w for w in workers if w.conn is conn)
                try:
                    message = conn.recv()
                except EOFError:
                    raise WorkerFailed(f"a PDF worker died (exit code {worker.process.exitcode}) "
                                       f"on chapter {m.chapters[worker.index].number}") from None
                if message[0] == "laid":
                    book.counts[message[1]] = message[2]
                    waiting[message[1]] = worker
                    _answer(book, waiting)
                elif message[0] == "done":
                    results[message[1]], reports[message[1]] = message[2], message[3]
                    worker.index = None
                    _dispatch(worker, todo, parts, exporter.variant, identifier)
                else:
                    raise WorkerFailed(f"chapter {m.chapters[message[1]].number}: {message[2]}")
            if final_front is None and len(book.starts) == len(parts):
                # Every chapter is placed: the contents can be printed while the workers finish drawing.
                numbers = {c.number: str(book.starts[i]) for i, c in enumerate(m.chapters)}
                laid = lay_out(_front_html(exporter, m, cover_png, numbers), exporter.variant, check_hyphens=False)
                if len(laid.document.pages) != book.front_pages:
                    raise WorkerFailed("the contents changed length with the real page numbers")
                final_front = exporter.write(laid.document, m)
    finally:
        _stop(workers)
    merging = time.perf_counter()
    data = merge(final_front, [results[i] for i in range(len(parts))], book.starts, blank)
    exporter.last_report = _report(reports, len(parts), processes, time.perf_counter() - started)
    exporter.last_report["merge_s"] = round(time.perf_counter() - merging, 3)
    return data


def _front_html(exporter, m: Manuscript, cover_png: bytes, pages: dict[int, str]) -> str:
    return exporter.head(m) + exporter.front(m, cover_png, pages) + "</body></html>"


def _blank_html(exporter, m: Manuscript) -> str:
    """A page with nothing on it but what every page gets (crop marks): the cover page's type, without cover."""
    return exporter.head(m) + '<section class="cover"></section></body></html>'


def _dispatch(worker: _Worker, todo: deque, parts: list[str], variant: str | None, identifier: bytes) -> None:
    if todo:
        worker.index = todo.popleft()
        worker.conn.send((worker.index, parts[worker.index], variant, identifier))


def _answer(book: _Book, waiting: dict[int, _Worker]) -> None:
    """Tells each waiting worker whose chapter is now placed how many pages come before it."""
    book.place()
    for index in [i for i in waiting if i < len(book.starts)]:
        waiting.pop(index).conn.send(book.starts[index] - 1)


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
        **{key: round(sum(r[key] for r in reports.values()), 3) for key in ("layout_s", "wait_s", "write_s")},
    }
