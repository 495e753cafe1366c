"""Chunks: the unit of a model call, of retry, of persistence and of streaming."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from buko.domain.books.architecture import Architecture
from buko.domain.books.usage import Usage

DEFAULT_CHUNK_CEILING = 2_500
_WORD = re.compile(r"[\w’'-]+", re.UNICODE)
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


class ChunkStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    WRITING = "writing"
    DONE = "done"


@dataclass(frozen=True)
class ChunkPart:
    """A section, or one part of a section too long for one call."""

    section_no: int
    title: str
    summary: str
    words: int
    part: int = 1
    parts: int = 1


@dataclass
class Chunk:
    index: int
    chapter_number: int
    parts: tuple[ChunkPart, ...]
    status: ChunkStatus = ChunkStatus.PENDING
    text: str = ""
    actual_words: int = 0
    usage: Usage = field(default_factory=Usage)
    summary: str = ""
    lease_owner: str = ""
    lease_until: datetime | None = None
    attempts: int = 0  # claims, for the record: a chunk is never failed for being claimed often
    lost_workers: tuple[tuple[str, datetime], ...] = ()  # (worker, when) that died holding it

    @property
    def target_words(self) -> int:
        return sum(p.words for p in self.parts)

    @property
    def done(self) -> bool:
        return self.status is ChunkStatus.DONE

    @property
    def opens_chapter(self) -> bool:
        first = self.parts[0]
        return first.section_no == 1 and first.part == 1


def clean_text(text: str) -> str:
    """Model text without control characters, which no export format can hold."""
    return _NOT_TEXT.sub("", text)


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def plan_chunks(architecture: Architecture, ceiling: int = DEFAULT_CHUNK_CEILING) -> list[Chunk]:
    """Split every chapter's sections into chunks of at most `ceiling` words.

    Chunks never span chapters (a chapter is written in order by one lane); small
    sections share a chunk; a section above the ceiling is split into even parts.
    """
    if ceiling < 100:
        raise ValueError("chunk ceiling must be at least 100 words")
    chunks: list[Chunk] = []
    for chapter in architecture.chapters:
        pending: list[ChunkPart] = []

        def flush() -> None:
            if pending:
                chunks.append(Chunk(index=len(chunks), chapter_number=chapter.number, parts=tuple(pending)))
                pending.clear()

        for no, section in enumerate(chapter.sections, start=1):
            whole = ChunkPart(no, section.title, section.summary, section.words)
            if section.words > ceiling:
                flush()
                n = math.ceil(section.words / ceiling)
                base, extra = divmod(section.words, n)
                for k in range(n):
                    pending.append(replace(whole, words=base + (1 if k < extra else 0), part=k + 1, parts=n))
                    flush()
                continue
            if sum(p.words for p in pending) + section.words > ceiling:
                flush()
            pending.append(whole)
        flush()
    return chunks
