"""What one socket knows of its book: the snapshot it was sent and the events since.

It turns the engine's live events into the socket protocol (ws.py): status changes, chunk
progress with words written against the target, and the text of chunks being written.
"""
from __future__ import annotations

from buko.application.books.streamed import Streamed, follow
from buko.domain.books.book import Book
from buko.domain.books.chunks import ChunkStatus
from buko.entrypoints.http.present import chunk_meta

STATUS_OF = {
    "planning": "planning",
    "planned": "planned",
    "revision_failed": "planned",
    "approved": "approved",
    "book_written": "written",
    "book_failed": "failed",
    "book_cancelled": "cancelled",
}
PASSED = {"chunk_started", "delta", "chunk_restarted", "waiting"}


FINAL = {"written", "failed", "cancelled"}


class BookView:
    def __init__(self, book: Book):
        self.reset(book)

    def reset(self, book: Book) -> None:
        """Start again from the stored book (a new snapshot follows): no partial text, seq 0."""
        self.book_id, self.title, self.status, self.failure = book.id, book.title, book.status.value, book.failure
        self.target_words, self.demo = book.target_words, book.demo
        self.chunks = {c.index: chunk_meta(c) for c in book.chunks}
        self.partial: dict[int, Streamed] = {}
        self.seq = 0  # the last snapshot's seq: events up to it are in it

    @property
    def settled(self) -> bool:
        """Finished, with nothing left to learn: a written book's chunks are all done."""
        return self.status in FINAL and (self.status != "written" or all(
            c["status"] == ChunkStatus.DONE.value for c in self.chunks.values()))

    def behind(self, book: Book) -> bool:
        """The stored book is further on than what this view was told: its status, or a chunk done.
        Its events were lost: a worker died between storing and announcing (book_written, say)."""
        if book.status.value != self.status:
            return True
        known = self.chunks
        return any(c.done and known.get(c.index, {}).get("status") != ChunkStatus.DONE.value for c in book.chunks)

    # -- the snapshot -------------------------------------------------------
    def fold(self, event: dict) -> None:
        """Apply a buffered event to the text of chunks in progress (stored chunks are the truth)."""
        kind, index = event.get("type"), event.get("index")
        if index is None or (index in self.chunks and self.chunks[index]["status"] == ChunkStatus.DONE.value):
            return
        if kind in ("chunk_started", "chunk_restarted", "delta"):
            self.partial[index] = follow(self.partial.get(index), event)
        elif kind == "chunk_written":
            self.partial.pop(index, None)

    def progress(self) -> dict:
        done = [c for c in self.chunks.values() if c["status"] == ChunkStatus.DONE.value]
        return {"words_written": sum(c["actual_words"] for c in done), "target_words": self.target_words,
                "chunks_done": len(done), "chunks_total": len(self.chunks)}

    def snapshot(self, seq: int, epoch: str) -> dict:
        self.seq = seq
        return {
            "type": "snapshot", "seq": seq, "epoch": epoch,
            "book": {"id": self.book_id, "title": self.title, "status": self.status, "failure": self.failure,
                     "demo": self.demo, **self.progress()},
            "chunks": list(self.chunks.values()),
            "partial": {str(i): part.text for i, part in self.partial.items()},
            # Where each partial text stands in its attempt: the next delta continues it when it has
            # that attempt and `at` == end. Not `whole`: its beginning was lost (a reset live stream).
            "streamed": {str(i): {"attempt": part.attempt, "end": part.end, "whole": part.whole}
                         for i, part in self.partial.items()},
        }

    # -- live ---------------------------------------------------------------
    def translate(self, event: dict) -> list[dict]:
        kind, seq = event.get("type"), event.get("seq")
        out: list[dict] = []
        if kind in PASSED:
            if kind == "chunk_started" and self.status != "writing":
                out.append(self._status("writing", seq))
            out.append(event)
        elif kind == "chunk_written":
            chunk = self.chunks.get(event["index"])
            if chunk is not None:
                chunk["status"], chunk["actual_words"] = ChunkStatus.DONE.value, event.get("words", 0)
            out.append({"type": "chunk_done", "index": event["index"], "words": event.get("words", 0), "seq": seq})
            out.append({"type": "progress", **self.progress(), "seq": seq})
        elif kind in STATUS_OF:
            out.append(self._status(STATUS_OF[kind], seq, event))
            if kind in ("revision_failed", "book_failed"):
                out.append({"type": "error", "error": {"code": kind, "message": event.get("reason", "")}, "seq": seq})
            if kind == "approved":
                out.append({"type": "progress", **self.progress(), "seq": seq})
        return out

    def _status(self, status: str, seq, event: dict | None = None) -> dict:
        self.status = status
        extra = {k: event[k] for k in ("writer", "demo", "reason", "chunks") if event and k in event}
        return {"type": "status", "status": status, **extra, "seq": seq}

    def needs_usage(self, event: dict) -> bool:
        return event.get("type") in ("chunk_written", "planned", "book_written", "book_failed", "approved")

    def refresh(self, book: Book) -> None:
        """The stored book after a milestone: the chunk plan appears at approval, budgets may change."""
        if len(book.chunks) != len(self.chunks):
            self.chunks = {c.index: chunk_meta(c) for c in book.chunks}
        self.title, self.target_words = book.title, book.target_words

    @staticmethod
    def usage(book: Book, seq: int) -> dict:
        return {"type": "usage", **book.usage.as_dict(), "seq": seq}
