"""Accounts and books for a load run, made through Buko's own use cases.

- authors: studio-plan accounts with an API token and a small library of written books (written by
  the offline demo writer in this process, against the run's PostgreSQL database: instant and free);
- writers: studio-plan accounts with a token and no books; Locust's writing journeys use them;
- admins: administrator accounts with a token;
- live books (`start_live`): books planned by the real workers against the model stub and then
  written by them, started through the HTTP API so readers have something to watch.

Accounts have no password (they use API tokens); the journeys that register make their own.
"""
from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

IDEAS = ("A field guide to city birds", "The quiet history of lighthouses", "Cooking for one on a budget",
         "A beginner's guide to urban beekeeping", "Letters from a mountain village", "How bridges stand up")


async def seed(database_url: str, data_dir: Path, authors: int, writers: int, admins: int,
               books_per_author: int = 2) -> dict:
    from buko.application.commands import (ApproveArchitecture, CreateApiToken, CreateBook, RegisterUser, Subscribe,
                                           WriteBook)
    from buko.bootstrap import build_container
    from buko.config import Settings
    from buko.domain.books.brief import Brief
    from buko.entrypoints.worker.runtime import running

    settings = Settings(database_url=database_url, redis_url="", anthropic_api_key=None, data_dir=data_dir,
                        offline_words_per_second=0, db_pool_size=8, db_max_overflow=0, log_level="WARNING")
    container = build_container(settings)
    container.use_cases.plain_bus().export_formats = ()  # seeded libraries need no files rendered in advance
    tag = uuid.uuid4().hex[:6]
    gate = asyncio.Semaphore(6)
    async with running(container):
        uc = container.use_cases

        async def account(kind: str, n: int, role: str = "author") -> dict:
            user = await uc.register_user()(RegisterUser(f"{kind}{n}-{tag}@load.example", f"{kind.title()} {n}", role))
            await uc.subscribe()(Subscribe(user, "studio"))
            _token, secret = await uc.api_tokens().create(CreateApiToken(user, "load"))
            return {"user_id": user, "token": secret, "books": []}

        async def written_book(owner: dict, n: int) -> None:
            brief = Brief(idea=f"{IDEAS[n % len(IDEAS)]}, volume {n}", target_words=1000, chapter_count=2)
            book_id = await uc.create_book()(CreateBook(owner["user_id"], brief))
            await _until(uc.queries(), book_id, {"planned"})
            await uc.approve_architecture()(ApproveArchitecture(book_id))
            await uc.write_book()(WriteBook(book_id, 1))
            await _until(uc.queries(), book_id, {"written"})
            owner["books"].append(book_id)

        async def author(n: int) -> dict:
            async with gate:
                made = await account("author", n)
                for b in range(books_per_author):
                    await written_book(made, n * books_per_author + b)
                return made

        async def plain(kind: str, n: int, role: str = "author") -> dict:
            async with gate:
                return await account(kind, n, role)

        made_authors = await asyncio.gather(*(author(n) for n in range(authors)))
        made_writers = await asyncio.gather(*(plain("writer", n) for n in range(writers)))
        made_admins = await asyncio.gather(*(plain("admin", n, "admin") for n in range(admins)))
    return {"authors": list(made_authors), "writers": list(made_writers), "admins": list(made_admins), "live": []}


async def _until(queries, book_id: str, statuses: set[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        book = await queries.book(book_id)
        if book.status.value in statuses:
            return
        if book.status.value in ("failed", "cancelled") or time.monotonic() > deadline:
            raise RuntimeError(f"seed book {book_id} is {book.status.value}: {book.failure}")
        await asyncio.sleep(0.05)


# -- live books, through the HTTP API of the running stack -------------------------------------
def api(base_url: str, token: str, method: str, path: str, body: dict | None = None, timeout: float = 30) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base_url + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:  # loopback only
        return json.loads(answer.read() or b"{}")


def start_live(base_url: str, owners: list[dict], count: int, words: int, chapters: int, lanes: int = 1,
               timeout: float = 300) -> list[dict]:
    """Create `count` books over the API, wait until the workers planned them, approve them, and start
    writing them all together; returns [{"token", "book_id"}]."""

    def one(n: int) -> dict:
        owner = owners[n % len(owners)]
        book = api(base_url, owner["token"], "POST", "/api/books",
                   {"idea": f"A live book for the load run, number {n}: {IDEAS[n % len(IDEAS)]}",
                    "target_words": words, "chapters": chapters})
        deadline = time.monotonic() + timeout
        while (status := api(base_url, owner["token"], "GET", f"/api/books/{book['id']}")["status"]) != "planned":
            if status in ("failed", "cancelled") or time.monotonic() > deadline:
                raise RuntimeError(f"live book {book['id']} is {status}")
            time.sleep(1)
        api(base_url, owner["token"], "POST", f"/api/books/{book['id']}/approve")
        return {"token": owner["token"], "book_id": book["id"], "user_id": owner["user_id"]}

    with ThreadPoolExecutor(max_workers=min(16, max(count, 1))) as pool:
        live = list(pool.map(one, range(count)))
    for entry in live:  # together, so they write side by side
        api(base_url, entry["token"], "POST", f"/api/books/{entry['book_id']}/write", {"lanes": lanes})
    return live


def wait_quiet(base_url: str, admin_token: str, timeout: float) -> dict[str, int]:
    """Wait (bounded) until no book is planning or writing; returns the count by status."""
    deadline = time.monotonic() + timeout
    while True:
        counts = {}
        for status in ("planning", "writing", "approved", "written", "failed", "planned", "cancelled", "draft"):
            page = api(base_url, admin_token, "GET", f"/api/admin/books?status={status}&limit=1")
            counts[status] = page["total"]
        if (counts["planning"] == 0 and counts["writing"] == 0) or time.monotonic() > deadline:
            return counts
        time.sleep(2)


def is_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False
