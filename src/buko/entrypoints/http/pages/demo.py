"""`buko serve --demo` (or BUKO_DEMO=1): a demo account with a written demo book, seeded at start-up
on an empty database with the offline writer, so a newcomer can look around at once."""
from __future__ import annotations

import asyncio
import logging
import os

from quart import Quart

from buko.application.commands import ApproveArchitecture, CreateBook, RegisterUser, WriteBook
from buko.domain.books.brief import Brief

log = logging.getLogger(__name__)
DEMO_EMAIL = "demo@buko.local"
DEMO_PASSWORD = "buko-demo-2025"
DEMO_IDEA = "A practical guide to urban beekeeping on small balconies"


def enabled() -> bool:
    return os.environ.get("BUKO_DEMO", "").strip().lower() in ("1", "true", "yes", "on")


async def seed(container) -> bool:
    """Create the demo account and its book unless the account exists; True when it seeded."""
    use_cases = container.use_cases
    if await use_cases.queries().user_by_email(DEMO_EMAIL) is not None:
        return False
    user_id = await use_cases.register_user()(RegisterUser(DEMO_EMAIL, "Demo Author", "author", DEMO_PASSWORD, "en"))
    await use_cases.subscribe()(_studio(user_id))
    brief = Brief(idea=DEMO_IDEA, chapter_count=6, target_words=6000, author="Demo Author")
    book_id = await use_cases.create_book()(CreateBook(user_id, brief))
    queries = use_cases.queries()
    for _ in range(600):
        if (await queries.book(book_id)).status.value == "planned":
            break
        await asyncio.sleep(0.1)
    await use_cases.approve_architecture()(ApproveArchitecture(book_id))
    await use_cases.write_book()(WriteBook(book_id, 2))
    return True


def _studio(user_id: str):
    from buko.application.commands import Subscribe

    return Subscribe(user_id, "studio")


def register(app: Quart) -> None:
    if not enabled():
        return

    @app.while_serving  # after every before_serving hook: the database is migrated and the queues run
    async def seed_demo():
        container = app.extensions["buko_container"]
        if await seed(container):
            log.info("demo account seeded: %s", DEMO_EMAIL)
        print(f"Demo account: {DEMO_EMAIL}  password: {DEMO_PASSWORD}  (its demo book is written by the "
              "offline writer: placeholder text, not AI)", flush=True)
        yield
