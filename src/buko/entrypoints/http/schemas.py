"""Request and response bodies of the API (pydantic); they live here, never in the application."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from buko.domain.books.architecture import MAX_CHAPTERS, MAX_SECTIONS, MAX_TEXT, MAX_TITLE
from buko.domain.books.brief import FIELD_LIMITS, LANGUAGES, MAX_CHAPTERS as BRIEF_MAX_CHAPTERS, MAX_WORDS, \
    MIN_WORDS, TRIM_SIZES


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- accounts -------------------------------------------------------------
class RegisterIn(Strict):
    email: str = Field(max_length=254)
    password: str = Field(min_length=1, max_length=256)
    name: str = Field(min_length=1, max_length=120)
    locale: Literal["es", "en"] = "en"


class LoginIn(Strict):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class ChangePasswordIn(Strict):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


class ProfileIn(Strict):
    name: str | None = Field(None, min_length=1, max_length=120)
    locale: Literal["es", "en"] | None = None


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    role: str
    locale: str
    suspended: bool
    created_at: datetime


class PlanUsageOut(BaseModel):
    plan: str
    books_per_month: int
    books_this_month: int
    books_left: int
    max_words_per_book: int


class MeOut(BaseModel):
    user: UserOut
    csrf_token: str | None = None
    plan: PlanUsageOut


class SessionOut(BaseModel):
    user: UserOut
    csrf_token: str


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=80)


class TokenOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The secret: shown this once, never again.")


class TokenListOut(BaseModel):
    tokens: list[TokenOut]


# -- books ----------------------------------------------------------------
class BriefIn(Strict):
    idea: str = Field(min_length=10, max_length=FIELD_LIMITS["idea"])
    genre: str = Field("non-fiction", max_length=FIELD_LIMITS["genre"])
    audience: str = Field("general readers", max_length=FIELD_LIMITS["audience"])
    tone: str = Field("clear and engaging", max_length=FIELD_LIMITS["tone"])
    language: Literal[LANGUAGES] = "en"  # type: ignore[valid-type]
    target_words: int = Field(12_000, ge=MIN_WORDS, le=MAX_WORDS)
    chapters: int = Field(6, ge=1, le=BRIEF_MAX_CHAPTERS)
    style_sample: str = Field("", max_length=FIELD_LIMITS["style_sample"])
    author: str = Field("", max_length=FIELD_LIMITS["author"])
    trim_size: Literal[TRIM_SIZES] = "A5"  # type: ignore[valid-type]


class SectionIO(Strict):
    title: str = Field(max_length=MAX_TITLE)
    summary: str = Field("", max_length=MAX_TEXT)
    words: int = Field(ge=1, le=MAX_WORDS)


class ChapterIO(Strict):
    number: int | None = Field(None, ge=1, le=MAX_CHAPTERS, description="Ignored on edit: chapters are numbered in order.")
    title: str = Field(max_length=MAX_TITLE)
    summary: str = Field("", max_length=MAX_TEXT)
    sections: list[SectionIO] = Field(max_length=MAX_SECTIONS)


class BibleIO(Strict):
    characters: list[str] = Field(default_factory=list, max_length=200)
    key_terms: list[str] = Field(default_factory=list, max_length=200)
    facts: list[str] = Field(default_factory=list, max_length=200)


class ArchitectureIO(Strict):
    title: str = Field(max_length=MAX_TITLE)
    subtitle: str = Field("", max_length=MAX_TITLE)
    synopsis: str = Field("", max_length=MAX_TEXT)
    audience: str = Field("", max_length=MAX_TEXT)
    tone: str = Field("", max_length=MAX_TEXT)
    language: Literal[LANGUAGES] = "en"  # type: ignore[valid-type]
    style_guide: str = Field("", max_length=MAX_TEXT)
    bible: BibleIO = Field(default_factory=BibleIO)
    chapters: list[ChapterIO] = Field(max_length=MAX_CHAPTERS)


class ArchitectureOut(BaseModel):
    version: int
    target_words: int
    words: int
    architecture: ArchitectureIO | None


class ArchitectureEditIn(Strict):
    version: int = Field(ge=0, description="The version you edited; a stale one answers 409 with the current one.")
    architecture: ArchitectureIO


class ReviseIn(Strict):
    notes: str = Field(min_length=1, max_length=4_000)


class WriteIn(Strict):
    lanes: int = Field(1, ge=1, le=8, description="Chapters written at once (1 = strictly in order).")


class UsageOut(BaseModel):
    input_tokens: int
    output_tokens: int
    thinking_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd: float
    calls: int


class BookSummaryOut(BaseModel):
    id: str
    title: str
    status: str
    language: str
    words_written: int
    target_words: int
    progress: float
    chunks_done: int
    chunks_total: int
    cost_usd: float
    demo: bool
    failure: str
    created_at: datetime
    updated_at: datetime


class BookPageOut(BaseModel):
    books: list[BookSummaryOut]
    total: int
    offset: int
    limit: int


class ChunkMetaOut(BaseModel):
    index: int
    chapter: int
    status: str
    target_words: int
    actual_words: int
    sections: list[str]


class BookOut(BaseModel):
    id: str
    title: str
    status: str
    failure: str
    brief: BriefIn
    words_written: int
    target_words: int
    progress: float
    lanes: int
    writer: str
    demo: bool
    architecture_version: int
    usage: UsageOut
    created_at: datetime
    planning_note: str = Field("", description="What planning changed in the model's answer (budgets scaled).")
    quality: dict | None = Field(None, description="Measured when the book is written: length against the "
                                 "budgets, repetition, outline adherence, readability, per chapter and section.")
    chunks: list[ChunkMetaOut]


class ChunkOut(ChunkMetaOut):
    text: str
    usage: UsageOut


class ChunkPageOut(BaseModel):
    chunks: list[ChunkOut]
    total: int
    offset: int
    limit: int


class PageQuery(Strict):
    offset: int = Field(0, ge=0, le=1_000_000)
    limit: int = Field(20, ge=1, le=100)


class AcceptedOut(BaseModel):
    status: str
    detail: str = ""


class ExportQuery(Strict):
    """Options of the printer's files (print_edition.check_options refuses them on any other file)."""

    bleed: bool = False
    paper: str = Field("", max_length=16)


class ExportPendingOut(BaseModel):
    status: Literal["rendering"]
    retry_after: int


# -- admin ----------------------------------------------------------------
class UserQuery(PageQuery):
    q: str = Field("", max_length=254)


class UserPageOut(BaseModel):
    users: list[UserOut]
    total: int
    offset: int
    limit: int


class SuspendIn(Strict):
    suspended: bool = True


class PlanIn(Strict):
    plan: str = Field(max_length=32)


class AdminBookQuery(PageQuery):
    status: Literal["draft", "planning", "planned", "approved", "writing", "written", "cancelled", "failed"] | None = None


class AdminBookOut(BookSummaryOut):
    owner_id: str


class AdminBookPageOut(BaseModel):
    books: list[AdminBookOut]
    total: int
    offset: int
    limit: int


class QueueOut(BaseModel):
    queue: str
    waiting: int
    pending: int
    consumers: int
    live_workers: int
    backend: str


class QueuesOut(BaseModel):
    queues: list[QueueOut]
    open_sockets: int


class HealthOut(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)
