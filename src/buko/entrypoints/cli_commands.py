"""What the `buko` subcommands do, on the container built from the settings."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from buko.adapters.persistence.migrate import current, upgrade
from buko.adapters.queue.inspect import QueueInspector
from buko.application.accounts.registration import EmailTaken
from buko.application.books.print_edition import print_files
from buko.application.commands import ARCHITECTURE_QUEUE, GENERATION_QUEUE
from buko.application.commands import (
    ApproveArchitecture,
    CreateBook,
    ExportBook,
    RegisterUser,
    ResumeBook,
    Subscribe,
    WriteBook,
)
from buko.bootstrap import Container, build_container
from buko.config import Settings
from buko.domain.books.book import Book, BookStatus
from buko.domain.books.brief import Brief
from buko.entrypoints.cli_files import ExportRecord
from buko.entrypoints.cli_interrupt import working_on
from buko.entrypoints.progress import EventPump, Stalled, follow_writing, next_terminal
from buko.entrypoints.quality_view import show_quality
from buko.entrypoints.worker.runtime import running

LOCAL_AUTHOR = "author@localhost"
LOCAL_PLAN = "studio"
IDLE_SECONDS = 300
WORKER_EXPORT_WAIT = 300.0


async def run(args, settings: Settings, brief: Brief | None = None) -> int:
    """`brief` was built and checked from the flags before any of this was imported."""
    container = build_container(settings)
    console = Console(stderr=False, highlight=False)
    if args.command == "db":
        return await _db(container, args.db_command, console)
    async with running(container):
        if args.command != "write" or args.review or args.book:
            from buko.entrypoints import cli_author

            return await cli_author.run(container, console, args, brief)
        return await _write(container, console, args, brief)


async def _db(container: Container, command: str, console: Console) -> int:
    engine = container.core.engine()
    try:
        if command == "upgrade":
            await upgrade(engine)
        console.print(f"database at revision {await current(engine)}")
    finally:
        await engine.dispose()
    return 0


async def _local_author(container: Container, name: str) -> str:
    uc = container.use_cases
    try:
        user_id = await uc.register_user()(RegisterUser(LOCAL_AUTHOR, name, "author"))
    except EmailTaken:
        user_id = (await uc.queries().user_by_email(LOCAL_AUTHOR)).id
    await uc.subscribe()(Subscribe(user_id, LOCAL_PLAN))
    return user_id


async def _write(container: Container, console: Console, args, brief: Brief) -> int:
    uc, live = container.use_cases, container.gateways.live()
    llm = container.gateways.llm()
    if llm.demo:
        console.print("[yellow]No ANTHROPIC_API_KEY: the offline demo writer writes placeholder text, not AI.[/]")
    owner = await _local_author(container, brief.author)
    await _check_workers(container, console, ARCHITECTURE_QUEUE, GENERATION_QUEUE)
    book_id = await uc.create_book()(CreateBook(owner, brief))
    working_on(book_id)
    console.print(f"Book [bold]{book_id}[/]: planning with {llm.name}…")
    events = EventPump(live.subscribe(book_id))
    try:
        return await _plan_then_write(container, console, args, book_id, events)
    finally:
        await events.aclose()


async def _plan_then_write(container: Container, console: Console, args, book_id: str, events) -> int:
    """Wait for the architecture, show it, approve it and write the book."""
    try:
        outcome = await next_terminal(events, {"planned", "revision_failed"}, IDLE_SECONDS, console,
                                      reload=_reloader(container, book_id))
    except Stalled as stalled:
        console.print(f"[red]{stalled}[/]; resume later with: buko resume {book_id}")
        return 1
    if outcome["type"] != "planned":
        return await _report_failure(container, console, book_id)
    return await _approve_then_write(container, console, args, book_id, events)


async def _approve_then_write(container: Container, console: Console, args, book_id: str, events) -> int:
    uc = container.use_cases
    _show_architecture(console, await uc.queries().book(book_id))
    await uc.approve_architecture()(ApproveArchitecture(book_id))
    await uc.write_book()(WriteBook(book_id, args.parallel))
    return await _finish(container, console, args, book_id, events)


async def _check_workers(container: Container, console: Console, *queues: str) -> None:
    """With Redis, the work is done by `buko worker` processes: say so when none is running."""
    redis = container.gateways.redis()
    if redis is None:
        return
    inspector = QueueInspector(redis, container.settings().redis_prefix)
    for queue in queues:
        if not await inspector.live_workers(queue):
            console.print(f"[yellow]No worker consumes the queue {queue}: the book waits until one runs "
                          f"(`buko worker --queue {queue}` or `buko worker --queue all`).[/]")
        else:
            console.print(f"Queue {queue}: handled by `buko worker` processes.")


async def _resume(container: Container, console: Console, args) -> int:
    """Continue a book from where it stopped: plan again, approve, write, or only export."""
    from buko.entrypoints.cli_books import resolve

    uc = container.use_cases
    book = await uc.queries().book(await resolve(container, args.book_id))
    if book.status is BookStatus.WRITTEN:
        return await _export(container, console, args, book)
    await _check_workers(container, console, ARCHITECTURE_QUEUE, GENERATION_QUEUE)
    live = container.gateways.live()
    # Only what happens from now on: the buffer may still hold the events of an earlier run (an old
    # `book_failed`), and the stored chunks, not replayed progress, show what is done.
    epoch, seq = await live.position(book.id)
    events = EventPump(live.subscribe(book.id, after=seq, epoch=epoch))
    try:
        if book.status is BookStatus.PLANNED:
            return await _approve_then_write(container, console, args, book.id, events)
        # Without Redis this process is the only worker, so what the book's last process held is free.
        takeover = not container.settings().redis_url
        status = await uc.resume_book()(ResumeBook(book.id, args.parallel, takeover))
        if status is BookStatus.PLANNING:
            return await _plan_then_write(container, console, args, book.id, events)
        return await _finish(container, console, args, book.id, events)
    finally:
        await events.aclose()


async def _finish(container: Container, console: Console, args, book_id: str, events) -> int:
    book = await container.use_cases.queries().book(book_id)
    try:
        outcome = await follow_writing(book, events, console, args.quiet, IDLE_SECONDS,
                                       reload=_reloader(container, book_id))
    except Stalled as stalled:
        console.print(f"[red]{stalled}[/]; resume later with: buko resume {book_id}")
        return 1
    if outcome["type"] != "book_written":
        return await _report_failure(container, console, book_id)
    console.print(f"Written in {outcome['elapsed']:.1f} s.")
    return await _export(container, console, args, await container.use_cases.queries().book(book_id))


def _reloader(container: Container, book_id: str):
    async def reload() -> Book:
        return await container.use_cases.queries().book(book_id)

    return reload


async def _exported(container: Container, command: ExportBook) -> str:
    """The file: the one a worker is rendering when it is (never rendered twice), else rendered here."""
    export, book_id, fmt = container.use_cases.export_book(), command.book_id, command.format
    redis = container.gateways.redis()
    if redis is not None:
        inspector = QueueInspector(redis, container.settings().redis_prefix)
        deadline = time.monotonic() + WORKER_EXPORT_WAIT
        while time.monotonic() < deadline:
            _name, found = await export.cached(command)
            if found:
                return found
            queued = await inspector.in_flight(GENERATION_QUEUE)
            if not any(t.get("book_id") == book_id and t.get("format") == fmt
                       and t.get("bleed", False) == command.bleed and t.get("paper", "") == command.paper
                       for t in queued):
                break
            await asyncio.sleep(0.5)
    return await export(command)


async def _export(container: Container, console: Console, args, book: Book) -> int:
    """Copy each format into --out, named after the title; another book's file is never overwritten.
    With --print, the printer's interior and cover spread come beside the reading copy."""
    exported, record = [], ExportRecord(container.settings().data_dir)
    files = [(fmt, False, "") for fmt in args.formats]
    if getattr(args, "print_edition", False):
        files += print_files(args.bleed, args.paper or "")
    if files:
        args.out.mkdir(parents=True, exist_ok=True)
    for fmt, bleed, paper in files:
        stored = Path(await _exported(container, ExportBook(book.id, fmt, bleed, paper)))
        target, note = record.target(args.out, book.title, fmt, book.id)
        if note:
            console.print(f"[yellow]{note}[/]", soft_wrap=True)
        record.copy(stored, target, book.id)
        exported.append(target)
    _show_summary(console, book, exported)
    return 0


async def _report_failure(container: Container, console: Console, book_id: str) -> int:
    book = await container.use_cases.queries().book(book_id)
    console.print(f"[red]Book {book_id} is {book.status.value}: {book.failure or 'no reason recorded'}[/]")
    if book.status is BookStatus.FAILED:
        console.print(f"Resume it with: buko resume {book_id}")
    return 1


def _show_architecture(console: Console, book: Book) -> None:
    arch = book.architecture
    console.print(f"\n[bold]{arch.title}[/] — {arch.subtitle}\n{arch.synopsis}\n")
    table = Table("#", "chapter", "sections", "words")
    for ch in arch.chapters:
        table.add_row(str(ch.number), ch.title, ", ".join(s.title for s in ch.sections), str(ch.words))
    console.print(table)
    if book.planning_note:
        console.print(f"[yellow]{book.planning_note}[/]")


def _show_summary(console: Console, book: Book, files: list[Path]) -> None:
    usage = book.usage
    console.print(
        f"\n[bold]{book.title}[/]: {book.words_written} words written of {book.target_words} planned, "
        f"{len(book.chunks)} chunks, {usage.calls} model calls."
    )
    console.print(
        f"Tokens: input {usage.input_tokens}, output {usage.output_tokens}, thinking {usage.thinking_tokens}, "
        f"cache read {usage.cache_read_tokens}, cache write {usage.cache_write_tokens}; cost ${usage.cost_usd:.4f}"
    )
    if book.quality is not None:
        show_quality(console, book.quality)
    if book.demo:
        console.print("[yellow]This is demo text from the offline writer, not AI-written prose.[/]")
    for path in files:
        console.print(f"  {path.resolve()}", soft_wrap=True)
