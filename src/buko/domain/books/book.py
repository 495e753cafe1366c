"""The Book aggregate and its life: draft -> planning -> planned -> approved -> writing -> written."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from buko.domain.books import events
from buko.domain.books.architecture import Architecture
from buko.domain.books.brief import Brief
from buko.domain.books.cover import Cover
from buko.domain.books.budgets import fit_to_target, only_the_total_is_off, scaling_note
from buko.domain.books.chunks import (
    DEFAULT_CHUNK_CEILING,
    Chunk,
    ChunkStatus,
    clean_text,
    count_words,
    plan_chunks,
)
from buko.domain.books.quality import QualityReport, assess
from buko.domain.books.usage import Usage, total
from buko.domain.errors import ChunkBusy, Conflict, InvalidTransition

MAX_LANES = 8
TAIL_WORDS = 150
MAX_NOTES = 4_000
# A worker that dies holding a chunk is not the chunk's fault, but a chunk that itself crashes
# every worker taking it must not be handed out forever: the book fails (resumably) once the
# chunk has lost this many different workers within the window.
MAX_LOST_WORKERS = 10  # random kills spread over a book's chunks; a crashing chunk reaches it in minutes
LOST_WORKERS_WINDOW = timedelta(minutes=30)


class BookStatus(StrEnum):
    DRAFT = "draft"
    PLANNING = "planning"
    PLANNED = "planned"
    APPROVED = "approved"
    WRITING = "writing"
    WRITTEN = "written"
    CANCELLED = "cancelled"
    FAILED = "failed"


S = BookStatus


@dataclass(eq=False)
class Book:
    id: str
    owner_id: str
    brief: Brief
    created_at: datetime
    status: BookStatus = S.DRAFT
    architecture: Architecture | None = None
    chunks: list[Chunk] = field(default_factory=list)
    lanes: int = 1
    writer: str = ""
    demo: bool = False
    planning_usage: Usage = field(default_factory=Usage)
    revision_notes: str = ""
    failure: str = ""
    planning_note: str = ""  # what planning changed in the model's answer (budgets scaled to the target)
    quality: QualityReport | None = None  # measured when the book is written
    architecture_version: int = 0
    cover: Cover | None = None  # the author's design; None draws the default cover
    events: list[events.Event] = field(default_factory=list, compare=False, repr=False)

    # -- planning ---------------------------------------------------------
    def request_plan(self, takeover: bool = False) -> None:
        """Ask for an architecture. `takeover` re-asks for a book left in `planning` by a process
        that is gone (its task was lost with it)."""
        planning_again = takeover and self.status is S.PLANNING
        if not (self.status is S.DRAFT or (self.status is S.FAILED and not self.chunks) or planning_again):
            self._refuse("plan")
        self.status, self.failure = S.PLANNING, ""
        self.events.append(events.PlanningRequested(self.id, notes=self.revision_notes))

    def architecture_ready(self, architecture: Architecture, usage: Usage, writer: str, demo: bool) -> None:
        """Store the planned architecture. When the only thing wrong is that its budgets do not add
        up to the target, they are scaled to it (`planning_note` says so) instead of failing."""
        self._require(S.PLANNING, action="receive an architecture")
        self.planning_note = ""
        if only_the_total_is_off(architecture, self.brief.target_words):
            fitted = fit_to_target(architecture, self.brief.target_words)
            if fitted is not None:
                self.planning_note = scaling_note(architecture.words, fitted.words)
                architecture = fitted
        self.architecture = architecture.validate(self.brief.target_words)
        self.architecture_version += 1
        self.planning_usage = self.planning_usage + usage
        self.writer, self.demo = writer, demo
        self.status, self.revision_notes = S.PLANNED, ""
        self.events.append(events.BookPlanned(self.id))

    def planning_failed(self, reason: str, usage: Usage = Usage()) -> None:
        """The model gave no usable architecture. A failed revision keeps the approvable one it
        was revising (the book goes back to `planned`); a first plan fails the book, resumably.
        `usage` is what the failed planning cost: it counts on the book all the same."""
        self._require(S.PLANNING, action="fail planning")
        self.planning_usage = self.planning_usage + usage
        if self.architecture is None:
            self.fail(reason)
            return
        self.status, self.failure, self.revision_notes = S.PLANNED, reason, ""
        self.events.append(events.RevisionFailed(self.id, reason))

    def request_revision(self, notes: str) -> None:
        self._require(S.PLANNED, action="revise")
        if not notes.strip():
            raise InvalidTransition("revision notes must not be empty")
        if len(notes) > MAX_NOTES:
            raise InvalidTransition(f"revision notes must be at most {MAX_NOTES} characters")
        self.status, self.revision_notes = S.PLANNING, notes
        self.events.append(events.PlanningRequested(self.id, notes=notes))

    def edit(self, architecture: Architecture, expected_version: int | None = None) -> int:
        """Replace the architecture with the author's edit; returns its new version.

        `expected_version` is the version the author edited: if the architecture changed since
        (another tab, a revision), the edit is refused with the current one, never applied over it.
        """
        self._require(S.PLANNED, action="edit")
        if expected_version is not None and expected_version != self.architecture_version:
            raise Conflict(
                f"the architecture changed since version {expected_version} (it is now version "
                f"{self.architecture_version}); reload it and apply your edit again",
                {"version": self.architecture_version,
                 "architecture": self.architecture.as_dict() if self.architecture else None},
            )
        self.architecture = architecture.validate(self.brief.target_words)
        self.architecture_version += 1
        return self.architecture_version

    def approve(self, ceiling: int = DEFAULT_CHUNK_CEILING) -> None:
        self._require(S.PLANNED, action="approve")
        self.chunks = plan_chunks(self.architecture, ceiling)
        self.status = S.APPROVED
        self.events.append(events.ArchitectureApproved(self.id, len(self.chunks)))

    def design_cover(self, cover: Cover) -> None:
        """The author's cover: once the book has an architecture, at any stage (exports follow it)."""
        if self.architecture is None:
            raise InvalidTransition(f"book {self.id} has no architecture yet: design its cover once it is planned")
        self.cover = cover

    # -- writing ----------------------------------------------------------
    def start_writing(self, lanes: int = 1, now: datetime | None = None) -> list[int]:
        """Start or resume writing with up to `lanes` chapters at once; returns the queued chunks.

        Resuming works from `failed` and from `writing` (its tasks lost with a process). Given
        `now`, a chunk whose lease is still live at `now` stays with its worker; without it every
        unfinished chunk is taken back (one process owns the book: the embedded setup).
        """
        if not (self.status in (S.APPROVED, S.WRITING) or (self.status is S.FAILED and self.chunks)):
            self._refuse("write")
        if not 1 <= lanes <= MAX_LANES:
            raise InvalidTransition(f"lanes must be between 1 and {MAX_LANES}")
        self.status, self.failure, self.lanes = S.WRITING, "", lanes
        for chunk in self.chunks:
            leased = now is not None and chunk.lease_until is not None and chunk.lease_until > now
            if not chunk.done and not leased:
                chunk.status, chunk.lease_owner, chunk.lease_until = ChunkStatus.PENDING, "", None
                chunk.attempts, chunk.lost_workers = 0, ()
        started = []
        for _ in range(lanes):
            index = self._next_free_chapter_start()
            if index is None:
                break
            started.append(self._queue(index))
        return started

    def claim_chunk(self, index: int, owner: str, now: datetime, lease: timedelta, gone: str = "") -> bool:
        """Take the chunk for writing. False when it is already written (nothing to do), or when
        it has now lost too many workers (the book fails, resumably).

        A live lease of another worker makes the chunk busy, unless that worker is `gone` (its
        heartbeat stopped): then the chunk is taken over at once. A holder that never gave the
        chunk back (its lease ran out, or it is gone) died with it, and the chunk counts it; a
        worker that gave it back (model failure, SIGTERM) is not counted.
        """
        self._require(S.WRITING, action="write a chunk")
        chunk = self.chunks[index]
        if chunk.done:
            return False
        holder = chunk.lease_owner
        lost = bool(holder) and holder != owner
        if lost and chunk.lease_until and chunk.lease_until > now and holder != gone:
            raise ChunkBusy(f"chunk {index} is being written by {holder}")
        if lost:
            since = now - LOST_WORKERS_WINDOW
            recent = tuple((w, at) for w, at in chunk.lost_workers if at > since and w != holder)
            chunk.lost_workers = (*recent, (holder, now))
            if len(chunk.lost_workers) >= MAX_LOST_WORKERS:
                chunk.status, chunk.lease_owner, chunk.lease_until = ChunkStatus.PENDING, "", None
                minutes = LOST_WORKERS_WINDOW.total_seconds() / 60
                self.fail(
                    f"chunk {index} lost {len(chunk.lost_workers)} different workers within {minutes:.0f} minutes "
                    "(each died while writing it): it may be what crashes them; resume the book to try again"
                )
                return False
        chunk.status, chunk.lease_owner, chunk.lease_until = ChunkStatus.WRITING, owner, now + lease
        chunk.attempts += 1
        return True

    def renew_lease(self, index: int, owner: str, now: datetime, lease: timedelta) -> bool:
        """Extend `owner`'s lease on a chunk it is writing; False when it no longer holds it."""
        if not self._holds(index, owner):
            return False
        self.chunks[index].lease_until = now + lease
        return True

    def end_lease(self, index: int, owner: str) -> bool:
        """`owner` gives the chunk up (it is stopping): it is queued again, and the next claim
        may take it at once. False when `owner` does not hold it."""
        if not self._holds(index, owner):
            return False
        self.chunks[index].lease_owner, self.chunks[index].lease_until = "", None
        self._queue(index)
        return True

    def complete_chunk(self, index: int, text: str, usage: Usage, summary: str = "") -> list[int]:
        """Store a written chunk once; returns the chunks queued next. A finished chunk is never rewritten."""
        chunk = self.chunks[index]
        if chunk.done or self.status not in (S.WRITING, S.FAILED):
            return []
        text = clean_text(text)
        chunk.text, chunk.actual_words, chunk.usage = text, count_words(text), chunk.usage + usage
        chunk.status, chunk.lease_owner, chunk.lease_until = ChunkStatus.DONE, "", None
        chunk.summary = clean_text(summary)
        self.events.append(events.ChunkWritten(self.id, index, chunk.actual_words))
        if all(c.done for c in self.chunks):
            self.status, self.failure = S.WRITTEN, ""
            self.quality = assess(self.architecture, self.chunks, self.architecture.language)
            self.events.append(events.BookWritten(self.id, self.owner_id))
            return []
        if self.status is not S.WRITING:
            return []
        following = self._next_in_lane(index)
        return [following] if following is not None else []

    def release_chunk(self, index: int, owner: str, usage: Usage = Usage()) -> bool:
        """`owner` gives a chunk back after a failed attempt, keeping what the attempt cost.
        False (nothing changes) when the chunk is done or another worker holds it now."""
        chunk = self.chunks[index]
        if chunk.done or chunk.lease_owner != owner:
            return False
        chunk.status, chunk.lease_owner, chunk.lease_until = ChunkStatus.PENDING, "", None
        chunk.usage = chunk.usage + usage
        return True

    def fail(self, reason: str) -> None:
        if self.status not in (S.PLANNING, S.APPROVED, S.WRITING):
            self._refuse("fail")
        # Queued chunks go back to pending; chunks other lanes are writing keep their lease,
        # so a resume does not hand them to a second worker while the first still writes.
        for chunk in self.chunks:
            if chunk.status is ChunkStatus.QUEUED:
                chunk.status = ChunkStatus.PENDING
        self.status, self.failure = S.FAILED, reason
        self.events.append(events.BookFailed(self.id, reason))

    def regenerate_chunk(self, index: int) -> None:
        """Write one finished chunk again; the chunks after it keep their text.

        Only a written (or stopped) book's finished chunk: the book goes back to `writing` for
        that one chunk and is `written` again when it is done. What the old text cost stays counted.
        """
        if self.status not in (S.WRITTEN, S.FAILED, S.CANCELLED) or not self.chunks:
            self._refuse("regenerate a chunk of")
        if not 0 <= index < len(self.chunks):
            raise InvalidTransition(f"this book has chunks 0 to {len(self.chunks) - 1}; there is no chunk {index}")
        chunk = self.chunks[index]
        if not chunk.done:
            raise InvalidTransition(f"chunk {index} is not written yet: resume the book to write it")
        chunk.text, chunk.actual_words, chunk.summary = "", 0, ""
        chunk.status, chunk.lease_owner, chunk.lease_until, chunk.attempts = ChunkStatus.PENDING, "", None, 0
        self.status, self.failure, self.lanes = S.WRITING, "", 1
        self.events.append(events.ChunkRegenerating(self.id, index))
        self._queue(index)

    def cancel(self) -> None:
        if self.status not in (S.DRAFT, S.PLANNING, S.PLANNED, S.APPROVED, S.WRITING):
            self._refuse("cancel")
        self.status = S.CANCELLED
        self.events.append(events.BookCancelled(self.id))

    # -- reading ----------------------------------------------------------
    @property
    def usage(self) -> Usage:
        return self.planning_usage + total(c.usage for c in self.chunks)

    @property
    def words_written(self) -> int:
        return sum(c.actual_words for c in self.chunks if c.done)

    @property
    def target_words(self) -> int:
        return self.architecture.words if self.architecture else self.brief.target_words

    @property
    def title(self) -> str:
        return self.architecture.title if self.architecture else self.brief.idea[:80]

    def chapter_text(self, number: int) -> str:
        return "\n\n".join(c.text.strip() for c in self.chunks if c.chapter_number == number and c.done)

    def summary_before(self, index: int) -> str:
        """The running summary of the book up to chunk `index`: the one written with the nearest
        finished chunk before it. With parallel lanes this never tells of chapters further on."""
        for chunk in reversed(self.chunks[:index]):
            if chunk.done and chunk.summary:
                return chunk.summary
        return ""

    def previous_tail(self, index: int, words: int = TAIL_WORDS) -> str:
        """The end of the text just before chunk `index` in its chapter, for continuity."""
        if index == 0 or self.chunks[index - 1].chapter_number != self.chunks[index].chapter_number:
            return ""
        return " ".join(self.chunks[index - 1].text.split()[-words:])

    # -- internals --------------------------------------------------------
    def _queue(self, index: int) -> int:
        self.chunks[index].status = ChunkStatus.QUEUED
        self.events.append(events.ChunkQueued(self.id, index))
        return index

    def _next_in_lane(self, index: int) -> int | None:
        following = index + 1
        if following < len(self.chunks) and self.chunks[following].chapter_number == self.chunks[index].chapter_number:
            return self._queue(following) if self.chunks[following].status is ChunkStatus.PENDING else None
        start = self._next_free_chapter_start()
        return self._queue(start) if start is not None else None

    def _next_free_chapter_start(self) -> int | None:
        """First unfinished chunk of the first chapter that no lane is working on."""
        busy = {c.chapter_number for c in self.chunks if c.status in (ChunkStatus.QUEUED, ChunkStatus.WRITING)}
        for chunk in self.chunks:
            if not chunk.done and chunk.chapter_number not in busy:
                return chunk.index
        return None

    def _holds(self, index: int, owner: str) -> bool:
        chunk = self.chunks[index]
        return self.status is S.WRITING and not chunk.done and chunk.lease_owner == owner

    def _require(self, status: BookStatus, action: str) -> None:
        if self.status is not status:
            self._refuse(action)

    def _refuse(self, action: str) -> None:
        raise InvalidTransition(f"cannot {action} a book that is {self.status.value}")
