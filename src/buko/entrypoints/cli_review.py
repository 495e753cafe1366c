"""The author's review before writing: `buko plan`, `buko revise`, `buko write --book ID` and
`buko write --review` (plan, show, then ask: [y]es / [e]dit / [r]evise / [n]o)."""
from __future__ import annotations

import asyncio

from rich.console import Console

from buko.application.commands import ARCHITECTURE_QUEUE, GENERATION_QUEUE, CreateBook, ReviseArchitecture, WriteBook
from buko.bootstrap import Container
from buko.domain.books.book import BookStatus
from buko.domain.books.brief import Brief
from buko.domain.errors import DomainError, InvalidTransition
from buko.entrypoints import cli_commands as base
from buko.entrypoints.cli_books import NEXT_STEPS, resolve
from buko.entrypoints.cli_editing import edit
from buko.entrypoints.cli_interrupt import working_on
from buko.entrypoints.progress import EventPump, Stalled, next_terminal

QUESTION = "Approve it and write the book? [y]es, [e]dit it, [r]evise it with notes, [n]o, stop here: "


async def _following(container: Container, book_id: str) -> EventPump:
    """Events of the book from now on (an older `planned` in the buffer is not taken for a new one)."""
    live = container.gateways.live()
    epoch, seq = await live.position(book_id)
    return EventPump(live.subscribe(book_id, after=seq, epoch=epoch))


async def _planned(container: Container, console: Console, book_id: str, events: EventPump) -> bool:
    """Wait for the architecture (a plan or a revision); show it. False when planning failed."""
    try:
        outcome = await next_terminal(events, {"planned", "revision_failed"}, base.IDLE_SECONDS, console,
                                      reload=base._reloader(container, book_id))
    except Stalled as stalled:
        console.print(f"[red]{stalled}[/]; continue later with: buko resume {book_id}")
        return False
    book = await container.use_cases.queries().book(book_id)
    if outcome["type"] == "revision_failed":
        console.print(f"[red]The revision failed ({book.failure}); the architecture is as it was.[/]")
    elif outcome["type"] != "planned":
        await base._report_failure(container, console, book_id)
        return False
    base._show_architecture(console, book)
    return True


async def create(container: Container, console: Console, brief: Brief) -> tuple[str, EventPump]:
    llm = container.gateways.llm()
    if llm.demo:
        console.print("[yellow]No ANTHROPIC_API_KEY: the offline demo writer writes placeholder text, not AI.[/]")
    owner = await base._local_author(container, brief.author)
    await base._check_workers(container, console, ARCHITECTURE_QUEUE)
    book_id = await container.use_cases.create_book()(CreateBook(owner, brief))
    working_on(book_id)
    console.print(f"Book [bold]{book_id}[/]: planning with {llm.name}…")
    return book_id, EventPump(container.gateways.live().subscribe(book_id))


async def plan(container: Container, console: Console, brief: Brief) -> int:
    book_id, events = await create(container, console, brief)
    try:
        if not await _planned(container, console, book_id, events):
            return 1
    finally:
        await events.aclose()
    console.print("next: " + NEXT_STEPS["planned"].format(id=book_id[:8]), soft_wrap=True)
    return 0


async def revise(container: Container, console: Console, ref: str, notes: str) -> int:
    book_id = await resolve(container, ref)
    return 0 if await _revised(container, console, book_id, notes) else 1


async def _revised(container: Container, console: Console, book_id: str, notes: str) -> bool:
    events = await _following(container, book_id)
    try:
        await container.use_cases.revise_architecture()(ReviseArchitecture(book_id, notes))
        console.print("Revising the architecture with your notes…")
        return await _planned(container, console, book_id, events)
    finally:
        await events.aclose()


async def write_book(container: Container, console: Console, args) -> int:
    """`buko write --book ID`: write a planned (approving it) or approved book, then export it."""
    book = await container.use_cases.queries().book(await resolve(container, args.book))
    if book.status not in (BookStatus.PLANNED, BookStatus.APPROVED):
        hint = NEXT_STEPS.get(book.status.value, "")
        raise InvalidTransition(f"book {book.id} is {book.status.value}, not planned or approved"
                                + (f"; {hint.format(id=book.id[:8])}" if hint else ""))
    await base._check_workers(container, console, GENERATION_QUEUE)
    events = await _following(container, book.id)
    try:
        if book.status is BookStatus.PLANNED:
            return await base._approve_then_write(container, console, args, book.id, events)
        await container.use_cases.write_book()(WriteBook(book.id, args.parallel))
        return await base._finish(container, console, args, book.id, events)
    finally:
        await events.aclose()


async def write_with_review(container: Container, console: Console, args, brief: Brief) -> int:
    book_id, events = await create(container, console, brief)
    try:
        if not await _planned(container, console, book_id, events):
            return 1
    finally:
        await events.aclose()
    while True:
        answer = (await asyncio.to_thread(input, QUESTION)).strip().lower()[:1]
        if answer == "y":
            args.book = book_id
            return await write_book(container, console, args)
        if answer == "n":
            console.print(f"Kept as planned. Later: {NEXT_STEPS['planned'].format(id=book_id[:8])}", soft_wrap=True)
            return 0
        try:
            if answer == "e":
                if await edit(container, console, book_id, "yaml"):
                    base._show_architecture(console, await container.use_cases.queries().book(book_id))
            elif answer == "r":
                notes = (await asyncio.to_thread(input, "What should change? ")).strip()
                if notes:
                    await _revised(container, console, book_id, notes)
            else:
                console.print("Answer y, e, r or n.")
        except DomainError as refused:  # e.g. the editor could not start: ask again
            console.print(f"[red]{refused}[/]")
