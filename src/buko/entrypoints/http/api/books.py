"""The author's books. Every route with a <book_id> is checked once, in `before_request`: a book
that is not the caller's answers 404 exactly like one that does not exist."""
from __future__ import annotations

from pathlib import Path

from dependency_injector.wiring import Provide, inject
from quart import Blueprint, request, send_file
from quart_schema import validate_querystring, validate_request, validate_response

from buko.application.books.downloads import RequestExport
from buko.application.books.lifecycle import (
    ApproveArchitectureHandler,
    CancelBookHandler,
    CreateBookHandler,
    EditArchitectureHandler,
    ResumeBookHandler,
    ReviseArchitectureHandler,
    WriteBookHandler,
)
from buko.application.books.manage import DeleteBookHandler, RegenerateChunkHandler
from buko.application.commands import (
    ApproveArchitecture,
    CancelBook,
    CreateBook,
    DeleteBook,
    EditArchitecture,
    ExportBook,
    RegenerateChunk,
    ResumeBook,
    ReviseArchitecture,
    WriteBook,
)
from buko.application.queries import Queries
from buko.bootstrap import Container
from buko.config import Settings
from buko.domain.books.brief import Brief
from buko.entrypoints.http import present
from buko.entrypoints.http import schemas as s
from buko.entrypoints.http.auth import caller, rate_limited

bp = Blueprint("books", __name__, url_prefix="/api/books")
EXPORT_RETRY_AFTER = 2


@bp.before_request
@inject
async def only_yours(queries: Queries = Provide[Container.use_cases.queries]) -> None:
    book_id = (request.view_args or {}).get("book_id")
    if book_id is not None:
        await queries.require_book(caller().user, book_id)


@bp.post("")
@rate_limited("work", "rate_limit_work")
@validate_request(s.BriefIn)
@validate_response(s.BookOut, 201)
@inject
async def create_book(
    data: s.BriefIn,
    create: CreateBookHandler = Provide[Container.use_cases.create_book],
    queries: Queries = Provide[Container.use_cases.queries],
):
    """Create a book from a brief; its architecture is planned at once (watch it on the socket)."""
    fields = data.model_dump()
    fields["chapter_count"] = fields.pop("chapters")
    fields["author"] = fields["author"] or caller().user.name
    book_id = await create(CreateBook(caller().user.id, Brief(**fields)))
    return present.book(await queries.book_outline(book_id)), 201


@bp.get("")
@validate_querystring(s.PageQuery)
@validate_response(s.BookPageOut)
@inject
async def list_books(query_args: s.PageQuery, queries: Queries = Provide[Container.use_cases.queries]):
    """My books, newest first, without their text."""
    page, total = await queries.summaries(owner_id=caller().user.id, offset=query_args.offset,
                                          limit=query_args.limit)
    return s.BookPageOut(books=[present.summary(b) for b in page], total=total, offset=query_args.offset,
                         limit=query_args.limit)


@bp.get("/<book_id>")
@validate_response(s.BookOut)
@inject
async def get_book(book_id: str, queries: Queries = Provide[Container.use_cases.queries]):
    """One book: status, progress, usage and its chunks' metadata."""
    return present.book(await queries.book_outline(book_id))


@bp.delete("/<book_id>")
@validate_response(s.AcceptedOut)
@inject
async def delete_book(book_id: str, delete: DeleteBookHandler = Provide[Container.use_cases.delete_book]):
    """Delete a book and its files (cancel it first while it is being planned or written)."""
    await delete(DeleteBook(book_id))
    return s.AcceptedOut(status="deleted")


@bp.post("/<book_id>/plan")
@rate_limited("work", "rate_limit_work")
@validate_response(s.AcceptedOut, 202)
@inject
async def plan_book(
    book_id: str,
    resume: ResumeBookHandler = Provide[Container.use_cases.resume_book],
    settings: Settings = Provide[Container.settings],
):
    """Plan again a book whose planning failed (a draft or failed book without chunks)."""
    status = await resume(ResumeBook(book_id, 1, takeover=settings.single_process))
    return s.AcceptedOut(status=status.value), 202


@bp.get("/<book_id>/architecture")
@validate_response(s.ArchitectureOut)
@inject
async def get_architecture(book_id: str, queries: Queries = Provide[Container.use_cases.queries]):
    """The architecture and its version (send the version back with an edit)."""
    return present.architecture(await queries.book_outline(book_id))


@bp.put("/<book_id>/architecture")
@validate_request(s.ArchitectureEditIn)
@validate_response(s.ArchitectureOut)
@inject
async def edit_architecture(
    book_id: str,
    data: s.ArchitectureEditIn,
    edit: EditArchitectureHandler = Provide[Container.use_cases.edit_architecture],
    queries: Queries = Provide[Container.use_cases.queries],
):
    """Replace the architecture with an edited one: titles, summaries, order, budgets, bible.

    A stale `version` answers 409 with the current architecture in `details.current`.
    """
    await edit(EditArchitecture(book_id, present.architecture_from(data.architecture), data.version))
    return present.architecture(await queries.book_outline(book_id))


@bp.post("/<book_id>/revise")
@rate_limited("work", "rate_limit_work")
@validate_request(s.ReviseIn)
@validate_response(s.AcceptedOut, 202)
@inject
async def revise(book_id: str, data: s.ReviseIn,
                 revise_architecture: ReviseArchitectureHandler = Provide[Container.use_cases.revise_architecture]):
    """Ask the model to revise the architecture following your notes."""
    await revise_architecture(ReviseArchitecture(book_id, data.notes))
    return s.AcceptedOut(status="planning"), 202


@bp.post("/<book_id>/approve")
@validate_response(s.BookOut)
@inject
async def approve(book_id: str,
                  approve_architecture: ApproveArchitectureHandler = Provide[Container.use_cases.approve_architecture],
                  queries: Queries = Provide[Container.use_cases.queries]):
    """Approve the architecture: the book is split into chunks, ready to be written."""
    await approve_architecture(ApproveArchitecture(book_id))
    return present.book(await queries.book_outline(book_id))


@bp.post("/<book_id>/write")
@rate_limited("work", "rate_limit_work")
@validate_request(s.WriteIn)
@validate_response(s.AcceptedOut, 202)
@inject
async def write(book_id: str, data: s.WriteIn, write_book: WriteBookHandler = Provide[Container.use_cases.write_book]):
    """Start writing an approved book with `lanes` chapters at once."""
    await write_book(WriteBook(book_id, data.lanes))
    return s.AcceptedOut(status="writing"), 202


@bp.post("/<book_id>/cancel")
@validate_response(s.AcceptedOut)
@inject
async def cancel(book_id: str, cancel_book: CancelBookHandler = Provide[Container.use_cases.cancel_book]):
    """Cancel planning or writing; what is written is kept."""
    await cancel_book(CancelBook(book_id))
    return s.AcceptedOut(status="cancelled")


@bp.post("/<book_id>/resume")
@rate_limited("work", "rate_limit_work")
@validate_request(s.WriteIn)
@validate_response(s.AcceptedOut, 202)
@inject
async def resume(book_id: str, data: s.WriteIn,
                 resume_book: ResumeBookHandler = Provide[Container.use_cases.resume_book],
                 settings: Settings = Provide[Container.settings]):
    """Resume a failed or interrupted book from its first unfinished chunk (or plan it again)."""
    status = await resume_book(ResumeBook(book_id, data.lanes, takeover=settings.single_process))
    return s.AcceptedOut(status=status.value), 202


@bp.post("/<book_id>/chunks/<int:index>/regenerate")
@rate_limited("work", "rate_limit_work")
@validate_response(s.AcceptedOut, 202)
@inject
async def regenerate(book_id: str, index: int,
                     regenerate_chunk: RegenerateChunkHandler = Provide[Container.use_cases.regenerate_chunk]):
    """Write one chunk again; the chunks after it keep their text, and the exports follow."""
    await regenerate_chunk(RegenerateChunk(book_id, index))
    return s.AcceptedOut(status="writing"), 202


@bp.get("/<book_id>/chunks")
@validate_querystring(s.PageQuery)
@validate_response(s.ChunkPageOut)
@inject
async def chunks(book_id: str, query_args: s.PageQuery, queries: Queries = Provide[Container.use_cases.queries]):
    """The book's chunks in order, with their text."""
    book = await queries.book(book_id)
    page = book.chunks[query_args.offset:query_args.offset + query_args.limit]
    return s.ChunkPageOut(chunks=[present.chunk(c) for c in page], total=len(book.chunks),
                          offset=query_args.offset, limit=query_args.limit)


@bp.get("/<book_id>/usage")
@validate_response(s.UsageOut)
@inject
async def usage(book_id: str, queries: Queries = Provide[Container.use_cases.queries]):
    """Tokens and cost of every model call made for the book."""
    return s.UsageOut(**(await queries.book_outline(book_id)).usage.as_dict())


@bp.get("/<book_id>/export/<any(pdf, epub, docx, md, 'pdf-print', 'cover-pdf'):fmt>")
@rate_limited("export", "rate_limit_export")
@validate_querystring(s.ExportQuery)
@validate_response(s.ExportPendingOut, 202)
@inject
async def export(book_id: str, fmt: str, query_args: s.ExportQuery,
                 request_export: RequestExport = Provide[Container.use_cases.request_export]):
    """Download the book as PDF, EPUB, DOCX or Markdown, or the printer's files: the interior without a cover
    page (`pdf-print`, `?bleed=true` for 3 mm bleed and crop marks) and the cover spread sized for the spine
    (`cover-pdf`, `?paper=white|cream`). While the file renders: 202 and Retry-After."""
    found = await request_export(ExportBook(book_id, fmt, query_args.bleed, query_args.paper))
    if found is None:
        return s.ExportPendingOut(status="rendering", retry_after=EXPORT_RETRY_AFTER), 202, \
            {"Retry-After": str(EXPORT_RETRY_AFTER)}
    path = Path(found)
    return await send_file(found, as_attachment=True,
                           attachment_filename=f"{path.stem.rsplit('-', 1)[0]}{path.suffix}",
                           mimetype=MEDIA_TYPES[fmt])


MEDIA_TYPES = {
    "pdf": "application/pdf",
    "pdf-print": "application/pdf",
    "cover-pdf": "application/pdf",
    "epub": "application/epub+zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown; charset=utf-8",
}
