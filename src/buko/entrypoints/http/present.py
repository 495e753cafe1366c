"""Domain objects -> response bodies."""
from __future__ import annotations

from buko.application.ports import BookSummary
from buko.domain.accounts.credentials import ApiToken
from buko.domain.accounts.user import User
from buko.domain.billing.plans import Plan
from buko.domain.books.architecture import Architecture
from buko.domain.books.book import Book
from buko.domain.books.chunks import Chunk
from buko.entrypoints.http import schemas as s


def user(u: User) -> s.UserOut:
    return s.UserOut(id=u.id, email=u.email, name=u.name, role=u.role.value, locale=u.locale,
                     suspended=u.suspended, created_at=u.created_at)


def plan_usage(plan: Plan, started: int) -> s.PlanUsageOut:
    return s.PlanUsageOut(plan=plan.code, books_per_month=plan.monthly_books, books_this_month=started,
                          books_left=max(plan.monthly_books - started, 0), max_words_per_book=plan.max_words_per_book)


def token(t: ApiToken) -> s.TokenOut:
    return s.TokenOut(id=t.id, name=t.name, created_at=t.created_at, last_used_at=t.last_used_at,
                      revoked_at=t.revoked_at)


def _progress(done: int, target: int) -> float:
    return round(min(done / target, 1.0), 4) if target else 0.0


def summary(b: BookSummary, admin: bool = False) -> s.BookSummaryOut:
    fields = dict(id=b.id, title=b.title, status=b.status, language=b.language, words_written=b.words_written,
                  target_words=b.target_words, progress=_progress(b.chunks_done, b.chunks_total),
                  chunks_done=b.chunks_done, chunks_total=b.chunks_total, cost_usd=b.cost_usd, demo=b.demo,
                  failure=b.failure, created_at=b.created_at, updated_at=b.updated_at)
    return s.AdminBookOut(owner_id=b.owner_id, **fields) if admin else s.BookSummaryOut(**fields)


def chunk_meta(c: Chunk) -> dict:
    return dict(index=c.index, chapter=c.chapter_number, status=c.status.value, target_words=c.target_words,
                actual_words=c.actual_words, sections=[p.title for p in c.parts])


def chunk(c: Chunk) -> s.ChunkOut:
    return s.ChunkOut(**chunk_meta(c), text=c.text, usage=s.UsageOut(**c.usage.as_dict()))


def brief(b: Book) -> s.BriefIn:
    d = b.brief.as_dict()
    d["chapters"] = d.pop("chapter_count")
    return s.BriefIn(**d)


def book(b: Book) -> s.BookOut:
    done = sum(c.done for c in b.chunks)
    return s.BookOut(
        id=b.id, title=b.title, status=b.status.value, failure=b.failure, brief=brief(b),
        words_written=b.words_written, target_words=b.target_words, progress=_progress(done, len(b.chunks)),
        lanes=b.lanes, writer=b.writer, demo=b.demo, architecture_version=b.architecture_version,
        usage=s.UsageOut(**b.usage.as_dict()), created_at=b.created_at, planning_note=b.planning_note,
        quality=b.quality.as_dict() if b.quality else None,
        chunks=[s.ChunkMetaOut(**chunk_meta(c)) for c in b.chunks],
    )


def architecture(b: Book) -> s.ArchitectureOut:
    arch = b.architecture
    return s.ArchitectureOut(
        version=b.architecture_version, target_words=b.brief.target_words, words=arch.words if arch else 0,
        architecture=s.ArchitectureIO(**architecture_dict(arch)) if arch else None,
    )


def architecture_dict(arch: Architecture) -> dict:
    return arch.as_dict()


def architecture_from(body: s.ArchitectureIO) -> Architecture:
    """Chapters are numbered by their order in the edit (reordering is moving them in the list)."""
    data = body.model_dump()
    for number, chapter in enumerate(data["chapters"], start=1):
        chapter["number"] = number
    return Architecture.from_dict(data)
