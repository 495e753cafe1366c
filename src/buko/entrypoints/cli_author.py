"""The author's verbs, dispatched inside a running container (database, queues, model)."""
from __future__ import annotations

from rich.console import Console

from buko.bootstrap import Container
from buko.domain.books.brief import Brief
from buko.entrypoints import cli_books, cli_commands, cli_editing, cli_review


async def run(container: Container, console: Console, args, brief: Brief | None) -> int:
    command = args.command
    if command == "write":
        if args.review:
            return await cli_review.write_with_review(container, console, args, brief)
        return await cli_review.write_book(container, console, args)
    if command == "plan":
        return await cli_review.plan(container, console, brief)
    if command == "revise":
        return await cli_review.revise(container, console, args.book_id, args.notes)
    if command == "edit":
        book_id = await cli_books.resolve(container, args.book_id)
        saved = await cli_editing.edit(container, console, book_id, args.format)
        if saved:
            console.print(f"next: buko show {book_id[:8]} | buko approve {book_id[:8]}")
        return 0
    if command == "resume":
        return await cli_commands._resume(container, console, args)
    verbs = {
        "books": lambda: cli_books.books(container, console, args.json),
        "show": lambda: cli_books.show(container, console, args.book_id, args.json),
        "approve": lambda: cli_books.approve(container, console, args.book_id),
        "export": lambda: cli_books.export(container, console, args),
        "regenerate": lambda: cli_books.regenerate(container, console, args),
        "cancel": lambda: cli_books.cancel(container, console, args.book_id),
        "delete": lambda: cli_books.delete(container, console, args),
    }
    return await verbs[command]()
