"""Through the real container and the embedded worker: a written book's files are made by the export task."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

from buko.application.commands import (
    EXPORT_FORMATS, ApproveArchitecture, CreateBook, ExportBook, RegisterUser, Subscribe, WriteBook,
)
from buko.bootstrap import build_container
from buko.config import Settings
from buko.domain.books.book import BookStatus
from buko.domain.books.brief import Brief
from buko.entrypoints.worker.runtime import running
from tests.fixtures.export_checks import pdf_info


async def until(check, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {check.__name__}")


async def test_writing_a_book_makes_every_export_in_the_worker_and_a_download_reuses_it(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(data_dir=tmp_path / "data", offline_words_per_second=0)
    container = build_container(settings)
    async with running(container):
        uc = container.use_cases
        owner = await uc.register_user()(RegisterUser("lucia@example.com", "Lucía"))
        await uc.subscribe()(Subscribe(owner, "pro"))
        brief = Brief(idea="Un libro sobre faros y farolas del Cantábrico", language="es", target_words=1600,
                      chapter_count=2, author="Lucía Ibáñez", trim_size="6x9")
        book_id = await uc.create_book()(CreateBook(owner, brief))

        async def planned():
            return (await uc.queries().book(book_id)).status is BookStatus.PLANNED

        await until(planned)
        await uc.approve_architecture()(ApproveArchitecture(book_id))
        await uc.write_book()(WriteBook(book_id))
        folder = settings.effective_export_dir / book_id

        async def exported():
            files = sorted(folder.glob("*")) if folder.is_dir() else []
            done = [f for f in files if not f.name.startswith(".")]
            return done if len(done) == len(EXPORT_FORMATS) else None

        files = await until(exported)
        assert sorted(f.suffix[1:] for f in files) == sorted(EXPORT_FORMATS)
        pdf = next(f for f in files if f.suffix == ".pdf")
        made = pdf.stat().st_mtime_ns
        again = await uc.export_book()(ExportBook(book_id, "pdf"))
        assert Path(again) == pdf and pdf.stat().st_mtime_ns == made
    assert pdf_info(pdf)["Page size"].startswith("432 x 648")  # the brief's 6x9 trim
