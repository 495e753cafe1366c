"""`buko books`, `show`, `approve`, `export`, `regenerate`, `cancel` and `delete`: thin calls to the
use cases, on books named by their id or a unique prefix of it."""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from buko.application.commands import (
    ApproveArchitecture,
    CancelBook,
    DeleteBook,
    RegenerateChunk,
)
from buko.bootstrap import Container
from buko.domain.books.book import Book, BookStatus
from buko.domain.errors import NotFound
from buko.entrypoints import cli_commands as base
from buko.entrypoints.cli_args import UsageError
from buko.entrypoints.cli_files import ExportRecord
from buko.entrypoints.cli_interrupt import working_on
from buko.entrypoints.cli_liveness import Liveness
from buko.entrypoints.progress import EventPump

PAGE = 100


class Ambiguous(NotFound):
    """A prefix that fits several books."""


async def local_summaries(container: Container) -> list:
    author = await container.use_cases.queries().user_by_email(base.LOCAL_AUTHOR)
    if author is None:
        return []
    found, offset = [], 0
    while True:
        page, total = await container.use_cases.queries().summaries(owner_id=author.id, offset=offset, limit=PAGE)
        found.extend(page)
        offset += len(page)
        if not page or offset >= total:
            return found


async def resolve(container: Container, ref: str) -> str:
    """The full id of the book `ref` names: a whole id (any book), or a prefix of one of your books."""
    if len(ref) == 32:
        await container.use_cases.queries().book(ref)  # NotFound when there is none
        working_on(ref)
        return ref
    matches = [s for s in await local_summaries(container) if s.id.startswith(ref)]
    if not matches:
        raise NotFound(f"no book's id starts with {ref!r}; `buko books` lists them")
    if len(matches) > 1:
        listed = ", ".join(f"{s.id} ({s.title[:40]})" for s in matches[:5])
        raise Ambiguous(f"{ref!r} fits {len(matches)} books: {listed}; give more characters")
    working_on(matches[0].id)
    return matches[0].id


def liveness(container: Container) -> Liveness:
    return Liveness(container.settings(), container.gateways.redis())


async def books(container: Container, console: Console, as_json: bool) -> int:
    summaries = await local_summaries(container)
    alive, record = liveness(container), ExportRecord(container.settings().data_dir)
    rows = [{"id": s.id, "title": s.title, "status": await alive.state(s.status), "stored_status": s.status,
             "language": s.language, "words": s.words_written, "target_words": s.target_words,
             "chunks_done": s.chunks_done, "chunks_total": s.chunks_total, "cost_usd": round(s.cost_usd, 6),
             "demo": s.demo, "failure": s.failure, "created": s.created_at.isoformat(timespec="seconds"),
             "files": record.files_of(s.id)} for s in summaries]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    if not rows:
        console.print(f"No books yet (data folder: {container.settings().data_dir}). "
                      'Start one with: buko plan "IDEA"  or  buko write "IDEA"')
        return 0
    table = Table()
    table.add_column("id", no_wrap=True, min_width=32)  # whole: ids are what the other verbs take
    table.add_column("title", min_width=20)
    for name in ("status", "words", "created"):
        table.add_column(name, no_wrap=True)
    table.add_column("files", overflow="fold")
    for row in rows:
        folders = sorted({str(Path(f).parent) for f in row["files"]})
        table.add_row(row["id"], row["title"], _status_text(row["status"]), f"{row['words']}/{row['target_words']}",
                      row["created"].replace("T", " ")[:16], "\n".join(folders) or "-")
    console.print(table, soft_wrap=True)
    if any(r["status"] == "interrupted" for r in rows):
        console.print("[yellow]interrupted[/]: nothing is working on it; continue it with `buko resume ID`.")
    return 0


def _status_text(status: str) -> str:
    colour = {"interrupted": "yellow", "failed": "red", "written": "green"}.get(status)
    return f"[{colour}]{status}[/]" if colour else status


NEXT_STEPS = {
    "planned": "review it: buko edit {id} | buko revise {id} --notes '…' | buko approve {id}",
    "approved": "write it: buko write --book {id}",
    "interrupted": "continue it: buko resume {id}",
    "failed": "continue it: buko resume {id}",
    "written": "files: buko export {id} --formats pdf,epub --out DIR; one chunk again: buko regenerate {id} --chunk N",
    "cancelled": "remove it: buko delete {id}",
}


async def show(container: Container, console: Console, ref: str, as_json: bool) -> int:
    book = await container.use_cases.queries().book(await resolve(container, ref))
    state = await liveness(container).state(book.status.value)
    files = ExportRecord(container.settings().data_dir).files_of(book.id)
    if as_json:
        print(json.dumps(_as_json(book, state, files), ensure_ascii=False, indent=1))
        return 0
    console.print(f"[bold]{book.title}[/]" + (f" — {book.architecture.subtitle}" if book.architecture else ""))
    console.print(f"id {book.id} · {_status_text(state)} · {book.brief.language} · "
                  f"{book.words_written}/{book.target_words} words · "
                  f"{sum(c.done for c in book.chunks)}/{len(book.chunks)} chunks · ${book.usage.cost_usd:.4f}",
                  soft_wrap=True)
    if book.failure:
        console.print(f"[red]{book.failure}[/]")
    if book.architecture:
        console.print(f"architecture version {book.architecture_version}")
        base._show_architecture(console, book)
    else:
        console.print(f"idea: {book.brief.idea}")
    if book.chunks:
        _show_chunks(console, book)
    for path in files:
        console.print(f"  {path}", soft_wrap=True)
    if step := NEXT_STEPS.get(state):
        console.print("next: " + step.format(id=book.id[:8]), soft_wrap=True)
    return 0


def _show_chunks(console: Console, book: Book) -> None:
    table = Table("chunk", "chapter", "sections", "words", "status")
    for chunk in book.chunks:
        sections = [p.title + (f" ({p.part}/{p.parts})" if p.parts > 1 else "") for p in chunk.parts]
        words = f"{chunk.actual_words}/{chunk.target_words}" if chunk.done else f"-/{chunk.target_words}"
        table.add_row(str(chunk.index), str(chunk.chapter_number), ", ".join(sections), words, chunk.status.value)
    console.print(table)


def _as_json(book: Book, state: str, files: list[str]) -> dict:
    return {
        "id": book.id, "title": book.title, "status": state, "stored_status": book.status.value,
        "language": book.brief.language, "brief": book.brief.as_dict(), "failure": book.failure,
        "architecture_version": book.architecture_version,
        "architecture": book.architecture.as_dict() if book.architecture else None,
        "words": book.words_written, "target_words": book.target_words,
        "chunks": [{"index": c.index, "chapter": c.chapter_number, "status": c.status.value,
                    "words": c.actual_words, "target_words": c.target_words} for c in book.chunks],
        "cost_usd": round(book.usage.cost_usd, 6), "demo": book.demo, "files": files,
    }


async def approve(container: Container, console: Console, ref: str) -> int:
    book_id = await resolve(container, ref)
    chunks = await container.use_cases.approve_architecture()(ApproveArchitecture(book_id))
    console.print(f"Approved: the book will be written in {chunks} chunks. Write it with: buko write --book {book_id[:8]}")
    return 0


async def export(container: Container, console: Console, args) -> int:
    book = await container.use_cases.queries().book(await resolve(container, args.book_id))
    if book.status is not BookStatus.WRITTEN:
        state = await liveness(container).state(book.status.value)
        hint = NEXT_STEPS.get(state, "")
        raise NotFound(f"book {book.id} is {state}: only a written book can be exported"
                       + (f"; {hint.format(id=book.id[:8])}" if hint else ""))
    return await base._export(container, console, args, book)


async def regenerate(container: Container, console: Console, args) -> int:
    book_id = await resolve(container, args.book_id)
    live = container.gateways.live()
    epoch, seq = await live.position(book_id)
    events = EventPump(live.subscribe(book_id, after=seq, epoch=epoch))
    try:
        await container.use_cases.regenerate_chunk()(RegenerateChunk(book_id, args.chunk))
        console.print(f"Writing chunk {args.chunk} of {book_id} again…")
        args.formats, args.out = [], None
        return await base._finish(container, console, args, book_id, events)
    finally:
        await events.aclose()


async def cancel(container: Container, console: Console, ref: str) -> int:
    book_id = await resolve(container, ref)
    await container.use_cases.cancel_book()(CancelBook(book_id))
    console.print(f"Book {book_id} is cancelled; `buko delete {book_id[:8]}` removes it.")
    return 0


async def delete(container: Container, console: Console, args) -> int:
    book = await container.use_cases.queries().book(await resolve(container, args.book_id))
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("buko delete asks for confirmation: run it in a terminal, or add --yes")
        answer = await asyncio.to_thread(
            input, f"Delete “{book.title}” ({book.status.value}, {book.words_written} words)? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            console.print("Nothing was deleted.")
            return 1
    await container.use_cases.delete_book()(DeleteBook(book.id))
    kept = ExportRecord(container.settings().data_dir).forget(book.id)
    console.print(f"Deleted book {book.id}." + (f" Your exported files stay: {', '.join(kept)}" if kept else ""),
                  soft_wrap=True)
    return 0
